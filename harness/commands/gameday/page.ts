/**
 * The console's page: HTML, CSS and a script, served from the console itself (no external
 * request; the CSP allows nothing else). The token comes from the URL fragment and goes in the
 * Authorization header of every API request; the live state is read from `/api/stream` with fetch.
 * The charts are uPlot's (served by the console from the package): hover shows each series' value,
 * dragging across a chart zooms all of them to that span (a double click follows the run again),
 * faults are shaded. The facilitator's form is generated from each fault kind's JSON Schema
 * (`/api/catalogue`); every action asks for confirmation first.
 * @module
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aire game day</title>
<link rel="stylesheet" href="/uplot.css">
<link rel="stylesheet" href="/console.css">
<script src="/uplot.js" defer></script>
<script src="/console.js" defer></script>
</head>
<body>
<header><h1>aire game day · <span id="scenario">…</span></h1><div id="status">connecting…</div></header>
<div id="warning" hidden></div>
<main>
<section id="now" class="wide"><h2>Now</h2><div id="phase"></div><div id="bar"></div><dl id="figures"></dl></section>
<section id="charts" class="wide"><h2>Live <span class="muted" id="zoom">(drag across a chart to zoom; double-click to follow the run)</span></h2><div id="chart-grid"></div></section>
<section id="faults"><h2>Faults in place</h2><ul id="active"></ul></section>
<section id="hypotheses"><h2>Hypotheses</h2><ul id="hyps"></ul></section>
<section id="health"><h2>Generator</h2><dl id="generator"></dl><h2 class="gap">Components</h2><ul id="components"></ul></section>
<section id="timeline"><h2>Timeline</h2><ol id="phases"></ol></section>
<section id="control" hidden><h2>Facilitator</h2>
<div id="hold" hidden><p>Holding at start: the target is up and warmed up; the traffic and the phases start at your Go.</p><button id="go" type="button">Go…</button></div>
<form id="phase-control"><h3>Phase</h3><p id="phase-state" class="muted"></p>
<button id="ph-hold" type="button">Hold…</button> <button id="ph-resume" type="button">Resume…</button> <label>by <input id="ph-extend-by" value="30s" size="6"></label><button id="ph-extend" type="button">Extend…</button> <button id="ph-advance" type="button">Advance…</button>
<div class="gap"><label>arrival rate <input id="ph-rate" size="8" placeholder="50/s"></label> <button id="ph-rate-set" type="button">Set rate…</button> <button id="ph-rate-back" type="button">Scenario's rate…</button></div>
<ul class="issues" id="phase-issues"></ul></form>
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
h1{font-size:18px;margin:0}h2{font-size:14px;margin:0 0 6px;color:#9aa4b2;text-transform:uppercase;letter-spacing:.05em}h2.gap{margin-top:10px}h3{font-size:14px;margin:8px 0 4px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;padding:12px 16px}
section{background:#171a21;border:1px solid #2a2f3a;border-radius:6px;padding:10px 12px}.wide{grid-column:1/-1}
#warning{background:#5a1f1f;border-bottom:1px solid #ff5d5d;padding:6px 16px;font-weight:bold}
#bar{position:relative;height:22px;background:#2a2f3a;border-radius:4px;margin:6px 0;overflow:hidden}
.seg{position:absolute;top:0;bottom:0;border-right:1px solid #0f1115;font-size:11px;line-height:22px;padding-left:4px;color:#c9d1dc;white-space:nowrap;overflow:hidden}
.seg.past{background:#2a3550}.fault{position:absolute;bottom:0;height:6px;background:#ff5d5d;opacity:.85}.nowmark{position:absolute;top:0;bottom:0;width:2px;background:#ffd166}
#chart-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:8px}.chart{min-height:150px;min-width:0;overflow:hidden}
.uplot{font-family:inherit}.u-title{font-size:12px!important;font-weight:normal!important;color:#9aa4b2}.u-legend{font-size:11px;color:#c9d1dc}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0}dt{color:#9aa4b2}dd{margin:0;font-variant-numeric:tabular-nums}
ol,ul{margin:0;padding-left:18px}li.now{font-weight:bold;color:#ffd166}
.badge{display:inline-block;border-radius:3px;padding:0 6px;margin-right:6px;font-size:12px;background:#2a2f3a}
.s-on-track{background:#1f4a2f;color:#8ff0b0}.s-at-risk{background:#4a3f1f;color:#ffd166}.s-failing{background:#5a1f1f;color:#ff9a9a}.s-waiting,.s-at-the-end{color:#9aa4b2}
.up{color:#4fd18b}.down{color:#ff5d5d}ul.sub{padding-left:14px;color:#c9d1dc;font-size:13px}
label{display:block;margin:4px 0}input,select{background:#0f1115;color:#e6e6e6;border:1px solid #2a2f3a;border-radius:4px;padding:3px 6px}
button{background:#2a3550;color:#e6e6e6;border:1px solid #4f8cff;border-radius:4px;padding:4px 10px;cursor:pointer;margin-top:4px}
button:disabled{opacity:.4;cursor:not-allowed}button.danger{border-color:#ff5d5d;background:#4a1f1f}.issues{color:#ff8a8a}#hold{border:1px solid #ffd166;border-radius:4px;padding:4px 8px;margin-bottom:8px}#hold p{margin:2px 0}.muted{color:#9aa4b2;text-transform:none;letter-spacing:0}
`;

export const PAGE_JS = `"use strict";
(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const headers = { authorization: "Bearer " + token };
  const $ = (id) => document.getElementById(id);
  const ms = (v) => v === null || v === undefined ? "–" : v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + " s" : Math.round(v) + " ms";
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const PALETTE = ["#4f8cff", "#ffd166", "#4fd18b", "#ff5d5d", "#c58fff", "#5ad1d1", "#ff9f5a", "#9aa4b2"];
  let role = "viewer";
  let catalogue = {};
  /** Every second seen so far, by t. */
  const points = new Map();
  let faultWindows = [];
  let zoomed = false;

  async function api(method, path, body) {
    const res = await fetch(path, { method, headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    return { status: res.status, json };
  }

  function value(v, unit) {
    if (v === null || v === undefined) return "–";
    if (unit === "ms") return ms(v);
    if (unit === "ratio") return (v * 100).toFixed(v >= 0.999 && v < 1 ? 2 : 1) + "%";
    if (unit === "usd") return "$" + v.toFixed(v < 1 ? 4 : 2);
    if (unit === "per_sec") return v.toFixed(1) + "/s";
    return String(v);
  }

  // The charts: each a uPlot of the seconds so far; those whose series are the classes or providers seen are rebuilt when a new one appears.
  const CHARTS = [
    { id: "rps", title: "requests/s: sent, answered, succeeded", series: () => ["sent", "answered", "succeeded"], row: (p) => [p.sent, p.done, p.ok] },
    { id: "ttft", title: "TTFT (ms) of the answers ending each second", series: () => ["p50", "p95"], row: (p) => [p.ttftP50, p.ttftP95] },
    { id: "errors", title: "failures by class (% of the answers ending each second)", series: (keys) => keys.errors, row: (p, keys) => keys.errors.map((k) => (p.done ? (100 * (p.errors[k] || 0)) / p.done : null)) },
    { id: "providers", title: "served by (answers/s)", series: (keys) => keys.providers, row: (p, keys) => keys.providers.map((k) => p.providers[k] || 0) },
    { id: "tokens", title: "output tokens/s", series: () => ["tokens/s"], row: (p) => [p.tokens] },
    { id: "cost", title: "cost so far (USD)", series: () => ["USD"], row: (p, keys, acc) => [(acc.cost += p.cost)] },
  ];
  const charts = {};

  function shadeFaults(u) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.fillStyle = "rgba(255,93,93,0.12)";
    for (const f of faultWindows) {
      const x0 = Math.max(left, u.valToPos(f.start / 1000, "x", true));
      const x1 = Math.min(left + width, u.valToPos(f.end === null ? latestT() + 1 : f.end / 1000, "x", true));
      if (x1 > x0) ctx.fillRect(x0, top, x1 - x0, height);
    }
    ctx.restore();
  }
  function latestT() { let t = 0; for (const k of points.keys()) t = Math.max(t, k); return t; }

  // One box per chart, in order, before any chart is drawn: each chart takes its box's width, and follows it.
  function box(id) {
    const grid = $("chart-grid");
    if (!grid.children.length) for (const c of CHARTS) { const b = el("div", undefined, "chart"); b.id = "chart-" + c.id; grid.append(b); }
    return $("chart-" + id);
  }
  const width = (b) => Math.max(280, b.clientWidth || 380);
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => { for (const c of CHARTS) if (charts[c.id]) charts[c.id].u.setSize({ width: width(box(c.id)), height: 150 }); }).observe($("chart-grid"));

  function makeChart(c, names) {
    const b = box(c.id);
    b.replaceChildren();
    const opts = {
      title: c.title, width: width(b), height: 150,
      scales: { x: { time: false } },
      cursor: { sync: { key: "aire" } },
      legend: { live: true },
      axes: [
        { stroke: "#9aa4b2", grid: { stroke: "#2a2f3a" }, ticks: { stroke: "#2a2f3a" }, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 3600], values: (u, vals) => vals.map((v) => v + " s") },
        { stroke: "#9aa4b2", grid: { stroke: "#2a2f3a" }, ticks: { stroke: "#2a2f3a" }, size: 50 },
      ],
      series: [{ label: "t (s)" }].concat(names.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false }))),
      hooks: { drawClear: [shadeFaults], setSelect: [(u) => { if (u.select.width > 2) { zoomed = true; $("zoom").textContent = "(zoomed: double-click a chart to follow the run)"; } }] },
    };
    const data = [[]].concat(names.map(() => []));
    const u = new uPlot(opts, data, b);
    b.addEventListener("dblclick", () => { zoomed = false; $("zoom").textContent = "(drag across a chart to zoom; double-click to follow the run)"; drawCharts(); });
    charts[c.id] = { u, names: names.join("\u0000") };
  }

  function drawCharts() {
    if (typeof uPlot === "undefined") return;
    const ts = [...points.keys()].sort((a, b) => a - b);
    const errors = new Set(), providers = new Set();
    for (const t of ts) { const p = points.get(t); for (const k of Object.keys(p.errors)) errors.add(k); for (const k of Object.keys(p.providers)) providers.add(k); }
    const keys = { errors: [...errors].sort(), providers: [...providers].sort() };
    if (keys.errors.length === 0) keys.errors = ["none"];
    if (keys.providers.length === 0) keys.providers = ["unknown"];
    for (const c of CHARTS) {
      const names = c.series(keys);
      if (!charts[c.id] || charts[c.id].names !== names.join("\u0000")) { charts[c.id]?.u.destroy(); makeChart(c, names); }
      const data = [ts].concat(names.map(() => []));
      const acc = { cost: 0 };
      for (const t of ts) c.row(points.get(t), keys, acc).forEach((v, i) => data[i + 1].push(v));
      charts[c.id].u.setData(data, !zoomed);
      box(c.id).dataset.seconds = String(ts.length);
      if (zoomed) charts[c.id].u.redraw(false);
    }
  }

  function renderBar(s) {
    const bar = $("bar");
    bar.replaceChildren();
    const total = s.phases.length ? s.phases[s.phases.length - 1].end : 0;
    if (!total) return;
    const now = s.live ? s.live.nowMs : s.progress ? s.progress.elapsedMs : 0;
    const pct = (v) => Math.max(0, Math.min(100, (100 * v) / total)) + "%";
    for (const ph of s.phases) {
      const seg = el("div", ph.name, "seg" + (now >= ph.end ? " past" : ""));
      seg.style.left = pct(ph.start); seg.style.width = pct(ph.end - ph.start);
      seg.title = ph.name + " " + ms(ph.start) + " → " + ms(ph.end);
      bar.append(seg);
    }
    for (const f of (s.live ? s.live.faultWindows : [])) {
      const m = el("div", undefined, "fault");
      m.style.left = pct(f.start); m.style.width = pct((f.end === null ? now : f.end) - f.start);
      bar.append(m);
    }
    if (s.status !== "starting") { const n = el("div", undefined, "nowmark"); n.style.left = pct(now); bar.append(n); }
  }

  function renderLive(s) {
    const live = s.live;
    const active = $("active");
    active.replaceChildren();
    const byHand = new Map(s.manualFaults.map((m) => [m.name, m]));
    const list = live ? live.faults : (s.progress ? s.progress.activeFaults.map((d) => ({ name: d, description: d, manual: false, untilMs: null })) : []);
    for (const f of list) {
      const m = byHand.get(f.name);
      const left = f.untilMs === null ? (m ? "until stopped" : "") : ms(Math.max(0, f.untilMs - live.nowMs)) + " left";
      const li = el("li", (m ? "by hand: " : "") + f.description + (m ? " (since " + ms(m.sinceMs) + ")" : "") + (left ? " · " + left + " " : " "));
      if (m && role === "facilitator") {
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
    const standings = live ? live.standings : [];
    for (const h of s.hypotheses) {
      const st = standings.find((x) => x.name === h.name);
      const li = el("li");
      li.dataset.hypothesis = h.name;
      const standing = s.status === "ended" ? "" : st ? st.standing : "waiting";
      if (standing) { const b = el("span", standing, "badge s-" + standing.replace(/ /g, "-")); b.dataset.standing = standing; li.append(b); }
      li.append(document.createTextNode(h.name + " (during " + h.during + ")" + (st && st.samples ? " · " + st.samples + " requests" + (st.samples < st.minSamples ? " of " + st.minSamples + " needed" : "") : "")));
      const sub = el("ul", undefined, "sub");
      for (const [i, text] of h.expect.entries()) {
        const a = st ? st.assertions[i] : undefined;
        const now = a && a.observed !== null ? ": " + value(a.observed, a.unit) + " now, threshold " + a.op + " " + value(a.threshold, a.unit) : "";
        sub.append(el("li", text + now + (a && a.note && a.standing !== "on track" ? " — " + a.note : "")));
      }
      li.append(sub);
      hyps.append(li);
    }

    const gen = $("generator");
    gen.replaceChildren();
    const warning = $("warning");
    if (live) {
      const g = live.generator;
      for (const [k, v] of [["schedule lag p99", ms(g.lagP99) + " (budget " + ms(g.budget.p99) + ")"], ["schedule lag max", ms(g.lagMax) + " (budget " + ms(g.budget.max) + ")"], ["requests measured", String(g.requests)]]) { gen.append(el("dt", k)); const dd = el("dd", v); dd.dataset.generator = k; gen.append(dd); }
      warning.hidden = !g.warning;
      warning.textContent = g.warning ? "INVALID: " + g.warning : "";
    }
    const comps = $("components");
    comps.replaceChildren();
    for (const c of (live ? live.components : [])) {
      const li = el("li");
      li.append(el("span", c.up ? "● " : "○ ", c.up ? "up" : "down"));
      li.append(document.createTextNode(c.name + (c.up ? "" : " down: " + (c.error || "")) + (c.headline ? " · " + c.headline : "")));
      comps.append(li);
    }
    if (!comps.children.length) comps.append(el("li", live ? "none watched (a url target's metrics: in the scenario)" : "–", "muted"));

    if (live) {
      for (const p of live.points) points.set(p.t, p);
      faultWindows = live.faultWindows;
      drawCharts();
    }
  }

  function render(s) {
    $("scenario").textContent = s.scenario + (s.runId ? " · " + s.runId : "");
    $("status").textContent = s.status === "ended" ? "ended · " + (s.verdict || "") : s.status === "holding" ? "holding: waiting for a facilitator's Go" : s.status;
    $("hold").hidden = !(role === "facilitator" && s.status === "holding");
    const p = s.progress;
    $("phase").textContent = p ? "phase " + p.phase + " (" + p.phaseIndex + "/" + p.phases + ") · " + ms(p.elapsedMs) + " of " + ms(p.totalMs) : "waiting for the traffic to start";
    renderBar(s);
    const fig = $("figures");
    fig.replaceChildren();
    const rows = p ? [["req/s", p.rps.toFixed(1)], ["TTFT p95", ms(p.ttftP95)], ["errors", p.errorRate === null ? "–" : (p.errorRate * 100).toFixed(1) + "%"]] : [];
    for (const [k, v] of rows) { fig.append(el("dt", k)); const dd = el("dd", v); dd.dataset.figure = k; fig.append(dd); }
    const phases = $("phases");
    phases.replaceChildren();
    for (const ph of s.phases) {
      const li = el("li", ph.name + " " + ms(ph.start) + " → " + (ph.held ? "held" : ms(ph.end)) + (ph.faults.length ? " · " + ph.faults.join(", ") : ""));
      if (p && p.phase === ph.name && s.status === "running") li.className = "now";
      phases.append(li);
    }
    renderPhaseControl(s);
    renderLive(s);
    const notes = $("notes");
    notes.replaceChildren();
    const items = s.notes.map((n) => [n.t, n.kind + (n.sinceFaultMs === null ? "" : " (" + ms(n.sinceFaultMs) + " after the fault)") + ": " + n.text + " — " + n.by]).concat(s.actions.map((a) => [a.t, a.action + " " + a.detail + " — " + a.by]));
    items.sort((a, b) => a[0] - b[0]);
    for (const [t, text] of items) notes.append(el("li", ms(t) + " · " + text));
  }
  function renderPhaseControl(s) {
    const pc = s.phaseControl;
    const running = s.status === "running" && pc && !pc.unavailable;
    const text = !pc ? "once the traffic runs" : pc.unavailable ? pc.unavailable : (pc.held ? (pc.open ? "held: the phase stands until you resume or advance it" : "extended: the phase resumes by itself") : "running on its schedule") + " · arrival rate: " + (pc.rate === null ? "the scenario's" : pc.rate + "/s") + (pc.rateBounds ? " (may be set from " + pc.rateBounds.min + "/s to " + pc.rateBounds.max + "/s)" : pc.rateUnavailable ? " (" + pc.rateUnavailable + ")" : "");
    $("phase-state").textContent = text;
    $("phase-control").dataset.held = pc && pc.held ? (pc.open ? "open" : "extended") : "no";
    $("ph-hold").disabled = !running || pc.open;
    $("ph-resume").disabled = !running || !pc.held;
    $("ph-extend").disabled = !running || pc.open;
    $("ph-advance").disabled = !running;
    $("ph-rate-set").disabled = !running || !pc.rateBounds;
    $("ph-rate-back").disabled = !running || !pc.rateBounds || pc.rate === null;
  }
  async function phaseAct(body, question) {
    if (!confirm(question)) return;
    const r = await api("POST", "/api/phase", body);
    const issues = $("phase-issues");
    issues.replaceChildren();
    if (r.status === 422) for (const i of r.json.issues) issues.append(el("li", i.path + ": " + i.message));
    else if (r.status !== 200) issues.append(el("li", r.json.error || "error " + r.status));
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
      $("ph-hold").addEventListener("click", () => phaseAct({ action: "hold" }, "Hold the current phase (the traffic goes on at its rate) until you resume it?"));
      $("ph-resume").addEventListener("click", () => phaseAct({ action: "resume" }, "Resume the phase where it stood?"));
      $("ph-extend").addEventListener("click", () => phaseAct({ action: "extend", by: $("ph-extend-by").value }, "Extend the current phase by " + $("ph-extend-by").value + "?"));
      $("ph-advance").addEventListener("click", () => phaseAct({ action: "advance" }, "End the current phase now and start the next (after the last: end the traffic)?"));
      $("ph-rate-set").addEventListener("click", () => phaseAct({ action: "rate", rate: $("ph-rate").value }, "Set the arrival rate to " + $("ph-rate").value + "?"));
      $("ph-rate-back").addEventListener("click", () => phaseAct({ action: "rate", rate: null }, "Give the arrival rate back to the scenario?"));
      $("go").addEventListener("click", async () => { if (confirm("Start the traffic and the phases now?")) await api("POST", "/api/go", {}); });
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
