/**
 * The console's page: HTML, CSS and a script, served from the console itself (no external
 * request; the CSP allows nothing else). The token comes from the URL fragment and goes in the
 * Authorization header of every API request; the live state is read from `/api/stream` with fetch.
 * The facilitator's form is generated from each fault kind's JSON Schema (`/api/catalogue`); every
 * action asks for confirmation first.
 * @module
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aire game day</title>
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body>
<header><h1>aire game day · <span id="scenario">…</span></h1><div id="status">connecting…</div></header>
<main>
<section id="now"><h2>Now</h2><div id="phase"></div><div id="bar"><div id="fill"></div></div><dl id="figures"></dl></section>
<section id="timeline"><h2>Timeline</h2><ol id="phases"></ol></section>
<section id="faults"><h2>Faults in place</h2><ul id="active"></ul></section>
<section id="hypotheses"><h2>Hypotheses</h2><ul id="hyps"></ul></section>
<section id="control" hidden><h2>Facilitator</h2>
<form id="inject"><h3>Inject a fault now</h3><label>kind <select id="kind" name="kind"></select></label><div id="fields"></div><ul class="issues" id="inject-issues"></ul><button type="submit">Inject…</button></form>
<form id="note"><h3>Note</h3><label>what the team sees <input id="note-text" name="text" maxlength="2000" required></label>
<label>as <select id="note-kind" name="kind"><option value="note">note</option><option value="detected">detected</option><option value="mitigated">mitigated</option></select></label><button type="submit">Add</button></form>
<button id="stop-all" class="danger" type="button">Stop everything…</button>
</section>
<section id="log"><h2>Notes and actions</h2><ul id="notes"></ul></section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1115;color:#e6e6e6}
header{display:flex;justify-content:space-between;align-items:baseline;padding:8px 16px;background:#171a21;border-bottom:1px solid #2a2f3a}
h1{font-size:18px;margin:0}h2{font-size:14px;margin:0 0 6px;color:#9aa4b2;text-transform:uppercase;letter-spacing:.05em}h3{font-size:14px;margin:8px 0 4px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;padding:12px 16px}
section{background:#171a21;border:1px solid #2a2f3a;border-radius:6px;padding:10px 12px}
#bar{height:8px;background:#2a2f3a;border-radius:4px;margin:6px 0}#fill{height:100%;width:0;background:#4f8cff;border-radius:4px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0}dt{color:#9aa4b2}dd{margin:0;font-variant-numeric:tabular-nums}
ol,ul{margin:0;padding-left:18px}li.now{font-weight:bold;color:#ffd166}
label{display:block;margin:4px 0}input,select{background:#0f1115;color:#e6e6e6;border:1px solid #2a2f3a;border-radius:4px;padding:3px 6px}
button{background:#2a3550;color:#e6e6e6;border:1px solid #4f8cff;border-radius:4px;padding:4px 10px;cursor:pointer;margin-top:4px}
button.danger{border-color:#ff5d5d;background:#4a1f1f}.issues{color:#ff8a8a}.muted{color:#9aa4b2}
`;

export const PAGE_JS = `"use strict";
(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const headers = { authorization: "Bearer " + token };
  const $ = (id) => document.getElementById(id);
  const ms = (v) => v === null || v === undefined ? "–" : v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + " s" : Math.round(v) + " ms";
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  let role = "viewer";
  let catalogue = {};

  async function api(method, path, body) {
    const res = await fetch(path, { method, headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    return { status: res.status, json };
  }

  function render(s) {
    $("scenario").textContent = s.scenario + (s.runId ? " · " + s.runId : "");
    $("status").textContent = s.status === "ended" ? "ended · " + (s.verdict || "") : s.status;
    const p = s.progress;
    $("phase").textContent = p ? "phase " + p.phase + " (" + p.phaseIndex + "/" + p.phases + ") · " + ms(p.elapsedMs) + " of " + ms(p.totalMs) : "waiting for the traffic to start";
    $("fill").style.width = p ? Math.min(100, (100 * p.elapsedMs) / p.totalMs).toFixed(1) + "%" : "0";
    const fig = $("figures");
    fig.replaceChildren();
    const rows = p ? [["req/s", p.rps.toFixed(1)], ["TTFT p95", ms(p.ttftP95)], ["errors", p.errorRate === null ? "–" : (p.errorRate * 100).toFixed(1) + "%"]] : [];
    for (const [k, v] of rows) { fig.append(el("dt", k)); const dd = el("dd", v); dd.dataset.figure = k; fig.append(dd); }
    const phases = $("phases");
    phases.replaceChildren();
    for (const ph of s.phases) {
      const li = el("li", ph.name + " " + ms(ph.start) + " → " + ms(ph.end) + (ph.faults.length ? " · " + ph.faults.join(", ") : ""));
      if (p && p.phase === ph.name && s.status === "running") li.className = "now";
      phases.append(li);
    }
    const active = $("active");
    active.replaceChildren();
    // The progress lists every fault in place; the ones injected by hand are listed below with their stop button.
    const byHand = s.manualFaults.map((m) => m.description);
    for (const f of (p ? p.activeFaults : [])) {
      const i = byHand.indexOf(f);
      if (i >= 0) byHand.splice(i, 1);
      else active.append(el("li", f));
    }
    for (const m of s.manualFaults) {
      const li = el("li", "by hand: " + m.description + " (since " + ms(m.sinceMs) + ") ");
      if (role === "facilitator") {
        const b = el("button", "Stop…");
        b.dataset.fault = m.name;
        b.addEventListener("click", async () => { if (confirm("Stop " + m.description + "?")) await api("DELETE", "/api/faults/" + encodeURIComponent(m.name)); });
        li.append(b);
      }
      active.append(li);
    }
    if (!active.children.length) active.append(el("li", "none", "muted"));
    const hyps = $("hyps");
    hyps.replaceChildren();
    for (const h of s.hypotheses) hyps.append(el("li", h.name + " (during " + h.during + "): " + h.expect.join("; ")));
    const notes = $("notes");
    notes.replaceChildren();
    const items = s.notes.map((n) => [n.t, n.kind + (n.sinceFaultMs === null ? "" : " (" + ms(n.sinceFaultMs) + " after the fault)") + ": " + n.text + " — " + n.by]).concat(s.actions.map((a) => [a.t, a.action + " " + a.detail + " — " + a.by]));
    items.sort((a, b) => a[0] - b[0]);
    for (const [t, text] of items) notes.append(el("li", ms(t) + " · " + text));
  }

  function buildFields() {
    const fields = $("fields");
    fields.replaceChildren();
    const schema = catalogue[$("kind").value];
    if (!schema) return;
    const required = new Set(schema.required || []);
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      if (name === "kind" || name === "schedule") continue;
      const label = el("label", name + (required.has(name) ? " *" : "") + " ");
      let input;
      if (Array.isArray(prop.enum)) {
        input = el("select");
        if (!required.has(name)) input.append(el("option", ""));
        for (const v of prop.enum) { const o = el("option", String(v)); o.value = String(v); input.append(o); }
      } else if (prop.type === "boolean") {
        input = el("select");
        for (const v of ["", "true", "false"]) { const o = el("option", v); o.value = v; input.append(o); }
      } else {
        input = el("input");
        input.placeholder = prop.examples ? String(prop.examples[0]) : prop.default !== undefined ? String(prop.default) : "";
      }
      input.name = name;
      input.dataset.type = prop.type === "integer" || prop.type === "number" ? "number" : prop.type === "boolean" ? "boolean" : "text";
      input.title = prop.description || "";
      label.append(input);
      fields.append(label);
    }
  }

  async function start() {
    const first = await api("GET", "/api/state");
    if (first.status !== 200) { $("status").textContent = first.status === 401 ? "no valid token: open the link aire printed" : "error " + first.status; return; }
    role = first.json.role;
    render(first.json.state);
    if (role === "facilitator") {
      $("control").hidden = false;
      catalogue = (await api("GET", "/api/catalogue")).json.faults || {};
      for (const kind of Object.keys(catalogue)) { const o = el("option", kind); o.value = kind; $("kind").append(o); }
      $("kind").addEventListener("change", buildFields);
      buildFields();
      $("inject").addEventListener("submit", async (e) => {
        e.preventDefault();
        const fault = { kind: $("kind").value };
        for (const input of $("fields").querySelectorAll("input,select")) {
          if (input.value === "") continue;
          fault[input.name] = input.dataset.type === "number" ? Number(input.value) : input.dataset.type === "boolean" ? input.value === "true" : input.value;
        }
        if (!confirm("Inject " + JSON.stringify(fault) + " now?")) return;
        const r = await api("POST", "/api/faults", { fault });
        const issues = $("inject-issues");
        issues.replaceChildren();
        if (r.status === 422) for (const i of r.json.issues) issues.append(el("li", i.path + ": " + i.message));
        else if (r.status !== 201) issues.append(el("li", r.json.error || "error " + r.status));
      });
      $("note").addEventListener("submit", async (e) => {
        e.preventDefault();
        const r = await api("POST", "/api/notes", { text: $("note-text").value, kind: $("note-kind").value });
        if (r.status === 201) $("note-text").value = "";
      });
      $("stop-all").addEventListener("click", async () => { if (confirm("Roll back every fault and stop the run (exit 4)?")) await api("POST", "/api/stop", {}); });
    }
    const res = await fetch("/api/stream", { headers });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf("\\n\\n")) >= 0) {
        const chunk = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (chunk.startsWith("data: ")) render(JSON.parse(chunk.slice(6)));
      }
    }
    $("status").textContent += " · disconnected";
  }
  start().catch((err) => { $("status").textContent = "error: " + err.message; });
})();
`;
