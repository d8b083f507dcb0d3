/**
 * `report.html`: one self-contained file (no CDN, no fonts, no script needed: it works offline and
 * from a CI artifact). Timeline charts drawn as inline SVG from the 1-second series — requests/s,
 * TTFT p50/p95, error rate by class, output tokens/s — with the fault windows shaded and the phases
 * marked, and where the browser runs scripts the same data as uPlot charts with hover values and
 * zoom (interactive.ts, inlined); hypothesis cards with their numbers; per-phase table; the event log.
 * @module
 */
import type { SecondSummary } from "../harness/metrics/time-series.js";
import { formatDuration } from "../harness/base/units.js";
import { assertionLine } from "./junit.js";
import type { RunReport } from "../harness/results/run-report.js";
import { formatInterval, formatValue } from "./terminal.js";
import { exportLines, perSecond, probeLines, starvationNote, telemetryCharts, telemetryFacts } from "./telemetry.js";
import { chartHelp, interactiveCharts, type ChartSpec } from "./interactive.js";

export const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(v === 1 || v === 0 ? 0 : 2)}%`);
const ms = (v: number | null) => (v === null ? "–" : formatDuration(v));

interface Series {
  name: string;
  color: string;
  /** One value per second (null: nothing to draw that second). */
  values: (number | null)[];
}

const W = 900;
const H = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 26 };
const errorColors: Record<string, string> = { http_429: "#e69f00", http_5xx: "#d55e00", http_4xx: "#cc79a7", timeout: "#7b3294", connect: "#444", reset: "#0072b2", truncated: "#009e73", malformed: "#999", quality: "#b2182b", unanswered: "#5e3c99" };

/** A round step for an axis up to `max`: 1, 2 or 5 × a power of ten, about 4 ticks. */
export function niceStep(max: number): number {
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}

/**
 * A series' polylines: one per run of consecutive seconds with a value (gaps stay gaps). A
 * measured line joins each second's middle to the next; a `step` line (a state read once a
 * second: a breaker) holds each value across its second and changes at the boundary, so a change
 * is never drawn before the second it was read in.
 */
export function seriesRuns(values: readonly (number | null)[], x: (t: number) => number, y: (v: number) => number, step = false): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length > 0) runs.push(run.join(" "));
    run = [];
  };
  values.forEach((v, t) => {
    if (v === null) return flush();
    if (step) run.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`, `${x(t + 1).toFixed(1)},${y(v).toFixed(1)}`);
    else run.push(`${x(t + 0.5).toFixed(1)},${y(v).toFixed(1)}`);
  });
  flush();
  return runs;
}

function chart(id: string, title: string, unit: (v: number) => string, series: Series[], report: RunReport, stepped = false): string {
  const seconds = Math.max(1, Math.ceil(report.timeline.end / 1000), ...series.map((s) => s.values.length));
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(...values, 0) || 1;
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const x = (t: number) => PAD.left + (t / seconds) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  // Fault windows first, under everything.
  for (const f of report.timeline.faults) {
    const end = (f.end ?? report.timeline.end) / 1000;
    parts.push(`<rect class="fault-window" x="${x(f.start / 1000).toFixed(1)}" y="${PAD.top}" width="${Math.max(1, x(end) - x(f.start / 1000)).toFixed(1)}" height="${H - PAD.top - PAD.bottom}"><title>${esc(`${f.description} (${formatDuration(f.start)} – ${f.end === null ? "never rolled back" : formatDuration(f.end)})`)}</title></rect>`);
  }
  for (let v = 0; v <= top + step / 2; v += step) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="tick" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(unit(v))}</text>`);
  }
  const tStep = niceStep(seconds);
  for (let t = 0; t <= seconds; t += tStep) parts.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle">${t}s</text>`);
  // Each phase named at its start; a dashed line where one gives way to the next.
  for (const [i, p] of report.timeline.phases.entries()) {
    if (i > 0) parts.push(`<line class="phase" x1="${x(p.start / 1000).toFixed(1)}" x2="${x(p.start / 1000).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>`);
    parts.push(`<text class="phase-label" x="${(x(p.start / 1000) + 3).toFixed(1)}" y="${PAD.top + 10}">${esc(p.name)}</text>`);
  }
  for (const s of series) {
    for (const points of seriesRuns(s.values, x, y, stepped)) parts.push(`<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${s.color}" stroke-width="1.6" points="${points}"/>`);
  }
  const legend = series.map((s) => `<span class="key"><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join("");
  return `<figure class="chart" id="${id}"><figcaption>${esc(title)} ${legend}${report.timeline.faults.length > 0 ? `<span class="key"><i class="fault-key"></i>fault active</span>` : ""}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${parts.join("")}</svg></figure>`;
}

const unitFormat: Record<ChartSpec["unit"], (v: number) => string> = { count: (v) => `${v}`, ms: (v) => formatDuration(v), ratio: (v) => `${Math.round(v * 1000) / 10}%` };

/** The charts as SVG (no script needed), and the same data as uPlot charts where scripts run. */
function charts(report: RunReport): string {
  const ts: SecondSummary[] = report.timeSeries;
  const classes = [...new Set(ts.flatMap((s) => Object.keys(s.errors)))].sort();
  const specs: ChartSpec[] = [
    { id: "chart-rps", title: "Requests per second (by intended send time)", unit: "count", series: [
      { name: "sent", color: "#0072b2", values: ts.map((s) => s.requests) },
      { name: "succeeded", color: "#009e73", values: ts.map((s) => s.ok) },
    ] },
    { id: "chart-ttft", title: "Time to first token", unit: "ms", series: [
      { name: "p50", color: "#56b4e9", values: ts.map((s) => s.ttftP50) },
      { name: "p95", color: "#d55e00", values: ts.map((s) => s.ttftP95) },
    ] },
    { id: "chart-errors", title: "Error rate by class", unit: "ratio", series: classes.length === 0
      ? [{ name: "errors", color: "#d55e00", values: ts.map((s) => (s.requests === 0 ? null : 0)) }]
      : classes.map((c) => ({ name: c, color: errorColors[c] ?? "#333", values: ts.map((s) => (s.requests === 0 ? null : (s.errors[c] ?? 0) / s.requests)) })) },
    { id: "chart-tokens", title: "Output tokens per second", unit: "count", series: [{ name: "tokens/s", color: "#cc79a7", values: ts.map((s) => s.outputTokens) }] },
    ...stackCharts(report),
  ];
  return [chartHelp, ...specs.map((c) => chart(c.id, c.title, unitFormat[c.unit], c.series, report, c.stepped)), interactiveCharts(specs, report)].join("\n");
}

const palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#999999"];

/** What the stack said about itself, on the same time axis (summary.json's telemetry). */
function stackCharts(report: RunReport): ChartSpec[] {
  if (!report.telemetry) return [];
  const seconds = Math.max(1, Math.ceil(report.timeline.end / 1000));
  const { breakers, queues } = telemetryCharts(report);
  const series = (list: { name: string; points: [number, number][] }[]) => list.map((s, i) => ({ name: s.name, color: palette[i % palette.length]!, values: perSecond(s.points, seconds) }));
  return [
    ...(breakers.length > 0 ? [{ id: "chart-breakers", title: "Gateway circuit breakers (0 closed, 1 half-open, 2 open), as the gateway reported them", unit: "count" as const, series: series(breakers), stepped: true }] : []),
    ...(queues.length > 0 ? [{ id: "chart-queues", title: "In flight and waiting, as the gateway and the providers reported them", unit: "count" as const, series: series(queues) }] : []),
  ];
}

function telemetryTable(report: RunReport): string {
  const probes = probeLines(report);
  const probeList = probes.length > 0 ? `<h3>Probes</h3><p class="muted">What the system answered when asked (probes.jsonl).</p><ul class="probes">${probes.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : "";
  const exported = exportLines(report);
  const exportList = exported.length > 0 ? `<h3>Exports</h3><ul class="exports">${exported.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : "";
  return (telemetryFacts(report).length === 0 ? "" : stackFacts(report)) + probeList + exportList;
}

function stackFacts(report: RunReport): string {
  const facts = telemetryFacts(report);
  return `<h3>What the stack reported</h3><p class="muted">From the gateway's and the providers' own /metrics, scraped every second (telemetry.jsonl)${report.telemetry!.failures > 0 ? `; ${report.telemetry!.failures} scrapes got no answer` : ""}.</p><div class="scroll"><table class="telemetry"><thead><tr><th>phase</th><th>reported</th></tr></thead><tbody>${facts.map((f) => `<tr><td>${esc(f.phase)}</td><td>${esc(f.facts.join("; "))}</td></tr>`).join("")}</tbody></table></div>`;
}

function cards(report: RunReport): string {
  if (report.hypotheses.length === 0) return `<p class="muted">No hypotheses were scored${report.status !== "completed" ? ` (the run is ${esc(report.status)})` : ""}.</p>`;
  return report.hypotheses
    .map((h) => {
      const rows = h.assertions
        .map((a) => {
          const observed = a.observed === null ? "no data" : formatValue(a.observed, a.unit);
          const ci = formatInterval(a, " – ");
          return `<tr class="${a.verdict.toLowerCase()}"><td>${a.verdict}</td><td><code>${esc(a.assertion)}</code></td><td>${esc(observed)}</td><td>${a.threshold === null ? "–" : esc(`${a.op} ${formatValue(a.threshold, a.unit)}`)}</td><td>${esc(ci)}</td><td>${a.samples}</td><td>${esc(a.note ?? "")}</td></tr>`;
        })
        .join("");
      return `<section class="card ${h.verdict.toLowerCase()}" data-verdict="${h.verdict}"><h3><span class="badge">${h.verdict}</span> ${esc(h.name)}</h3><p class="muted">during ${esc(h.during)} · ${h.samples} requests${h.excluded ? ` (${h.excluded} left out: in flight when another phase's fault began)` : ""}${h.reason ? ` · ${esc(h.reason)}` : ""}</p><div class="scroll"><table><thead><tr><th></th><th>assertion</th><th>observed</th><th>threshold</th><th>95% CI</th><th>n</th><th>note</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
    })
    .join("\n");
}

function phaseTable(report: RunReport): string {
  const rows = report.phases
    .map((p) => `<tr><td>${esc(p.name)}</td><td>${formatDuration(p.durationMs)}</td><td>${p.requests}</td><td>${pct(p.availability)}</td><td>${esc(Object.entries(p.errors).map(([k, v]) => `${k}: ${v}`).join(", ") || "0")}</td><td>${ms(p.ttft.p50)}</td><td>${ms(p.ttft.p95)}</td><td>${ms(p.ttft.p99)}</td><td>${ms(p.tpot.p50)}</td><td>${ms(p.e2e.p95)}</td><td>${esc(Object.entries(p.providers).map(([k, v]) => `${k}: ${v}`).join(", ") || "–")}</td><td>${esc(p.faults.join("; ") || "–")}</td></tr>`)
    .join("");
  return `<div class="scroll"><table class="phases"><thead><tr><th>phase</th><th>duration</th><th>requests</th><th>availability</th><th>errors</th><th>ttft p50</th><th>ttft p95</th><th>ttft p99</th><th>tpot p50</th><th>e2e p95</th><th>served by</th><th>faults</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function eventLog(report: RunReport): string {
  const rows = report.events.map((e) => `<tr><td>${formatDuration(e.t)}</td><td>${esc(e.type)}</td><td>${esc(e.detail)}</td></tr>`).join("");
  return `<table class="events"><thead><tr><th>t</th><th>event</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export const htmlStyle = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1320px;padding:16px 20px 48px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:0 0 4px}
.muted{color:#666;margin:2px 0 8px}.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.PASS,.card.pass .badge{background:#1a7f37}.FAIL,.card.fail .badge{background:#cf222e}.INCONCLUSIVE,.card.inconclusive .badge,.INCOMPLETE{background:#9a6700}.ERROR,.INTERRUPTED,.ABORTED,.NO_HYPOTHESES{background:#57606a}
.badge{display:inline-block;padding:1px 8px;border-radius:4px;color:#fff;font-size:12px;vertical-align:1px}
.card{border:1px solid #ddd;border-left-width:5px;border-radius:6px;padding:10px 12px;margin:10px 0}.card.pass{border-left-color:#1a7f37}.card.fail{border-left-color:#cf222e}.card.inconclusive{border-left-color:#9a6700}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:break-word}th{color:#555;font-weight:600;white-space:nowrap}
table.phases td,.card td:first-child,table.events td:first-child{white-space:nowrap}table.phases td:last-child{white-space:normal;min-width:16em}
.scroll{overflow-x:auto}
@media (max-width:640px){body{padding:12px 10px 32px}.card{padding:8px}td,th{padding:3px 4px}}
tr.fail td:first-child{color:#cf222e;font-weight:600}tr.pass td:first-child{color:#1a7f37;font-weight:600}tr.inconclusive td:first-child{color:#9a6700;font-weight:600}
.chart{margin:12px 0}.chart figcaption{font-weight:600;margin-bottom:2px}.chart svg{width:100%;height:auto;display:block}
.key{font-weight:400;color:#555;margin-left:12px;font-size:12px}.key i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.fault-window,.fault-key{fill:#e8d000;background:#e8d000;opacity:.22}.fault-key{height:10px!important}
.grid{stroke:#eee}.tick{fill:#777;font-size:11px}.phase{stroke:#999;stroke-dasharray:3 3}.phase-label{fill:#555;font-size:11px}
.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
`;

export function renderHtml(report: RunReport): string {
  const title = `${report.scenario.name}: ${report.verdict}`;
  const warnings = [
    report.error ? `<p class="warn"><b>${esc(report.status)}</b>: ${esc(report.error)}</p>` : "",
    report.traffic.valid ? "" : `<p class="warn"><b>INVALID measurements</b>: ${esc(report.traffic.invalidReason ?? "")}</p>`,
    starvationNote(report) ? `<p class="warn"><b>Starved stack</b>: ${esc(starvationNote(report)!)}</p>` : "",
  ].join("");
  const lag = report.traffic.scheduleLagMs;
  const summary = report.hypotheses.flatMap((h) => h.assertions.filter((a) => a.verdict !== "PASS").map(assertionLine));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · aire</title><style>${htmlStyle}</style></head>
<body>
<header><h1>${esc(report.scenario.name)} <span class="verdict ${esc(report.verdict)}">${esc(report.verdict)}</span></h1>
<p class="muted">${esc(report.scenario.description)}</p>
<p class="muted">run ${esc(report.runId)} · seed ${report.scenario.seed}${report.scenario.timeScale !== 1 ? ` · time scale ${report.scenario.timeScale}` : ""} · ${esc(report.startedAt)} · ${report.traffic.scheduled} requests (${esc(report.traffic.arrival)}) · gateway profile ${esc(String(report.target.gateway.profile ?? "–"))} · schedule lag p99 ${ms(lag.p99)}</p>
${warnings}</header>
<h2>Hypotheses</h2>
${cards(report)}
${summary.length > 0 ? `<details><summary>Not passing, as text</summary><pre>${esc(summary.join("\n"))}</pre></details>` : ""}
<h2>Timeline</h2>
${charts(report)}
<h2>Phases</h2>
${phaseTable(report)}
${telemetryTable(report)}
<h2>Events</h2>
${eventLog(report)}
<p class="muted">aire · summary.json schema version ${report.schemaVersion}</p>
</body></html>
`;
}
