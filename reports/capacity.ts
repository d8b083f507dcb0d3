/**
 * The capacity search's reports: a terminal table, `capacity.json`, and `capacity.html` with the
 * step evidence and charts of TTFT p95, availability and served answers/s against the offered rate
 * (self-contained inline SVG, as report.html).
 * @module
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CapacityResult, CapacityStep } from "../harness/results/capacity.js";
import { formatDuration } from "../harness/base/units.js";
import { esc, htmlStyle, niceStep } from "./html.js";

const ms = (v: number | null) => (v === null ? "–" : formatDuration(v));
const pct = (v: number | null) => (v === null ? "–" : `${Math.round(v * 10_000) / 100}%`);
const rate = (v: number | null) => (v === null ? "–" : `${v}/s`);

function headline(r: CapacityResult): string {
  const cap = r.capacity === null ? "no rate tried PASSed" : `capacity ${r.capacity}/s${r.firstFailure === null ? " (every rate tried PASSed: at least this)" : ` (${r.firstFailure}/s did not PASS)`}`;
  const verified = r.verified === null ? "" : r.verified ? ", verified with another seed" : ", NOT verified";
  const required = r.require === undefined ? "" : r.capacity !== null && r.capacity >= r.require ? `; meets the required ${r.require}/s` : `; BELOW the required ${r.require}/s`;
  return `${cap}${verified}${required}`;
}

export function renderCapacityTerminal(r: CapacityResult): string {
  const rows = [["rate", "seed", "step", "verdict", "ttft p95", "avail", "served/s", "requests", "not passing"]];
  for (const s of r.steps) rows.push([rate(s.rate), String(s.seed), s.purpose, s.verdict, ms(s.ttftP95), pct(s.availability), s.throughput === null ? "–" : String(s.throughput), String(s.requests), s.notPassing.join("; ") || "–"]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
  return [
    `aire capacity · ${r.scenario} · ${r.faults === 0 ? "no faults in the scenario" : r.withFaults ? `with its ${r.faults} fault(s)` : "its faults removed"}`,
    "",
    table,
    "",
    headline(r),
    ...(r.knee !== null ? [`knee: TTFT p95 held within 1.5× its lowest-rate value up to ${r.knee}/s`] : []),
    ...(r.note ? [`note: ${r.note}`] : []),
  ].join("\n");
}

const W = 900;
const H = 220;
const PAD = { left: 60, right: 16, top: 14, bottom: 30 };

/** One chart against the offered rate: a line through the search steps (verification runs as hollow dots). */
function chart(id: string, title: string, steps: readonly CapacityStep[], value: (s: CapacityStep) => number | null, unit: (v: number) => string, r: CapacityResult): string {
  const points = steps.map((s) => ({ s, v: value(s) })).filter((p): p is { s: CapacityStep; v: number } => p.v !== null);
  const maxRate = Math.max(...steps.map((s) => s.rate), 1);
  const xStep = niceStep(maxRate);
  const xTop = Math.ceil(maxRate / xStep) * xStep;
  const maxV = Math.max(...points.map((p) => p.v), 0) || 1;
  const yStep = niceStep(maxV);
  const yTop = Math.ceil(maxV / yStep) * yStep;
  const x = (v: number) => PAD.left + (v / xTop) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yTop) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  if (r.capacity !== null) parts.push(`<line class="capacity" x1="${x(r.capacity).toFixed(1)}" x2="${x(r.capacity).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}"/><text class="phase-label" x="${(x(r.capacity) + 3).toFixed(1)}" y="${PAD.top + 10}">capacity ${r.capacity}/s</text>`);
  for (let v = 0; v <= yTop + yStep / 2; v += yStep) parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="tick" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(unit(v))}</text>`);
  for (let v = 0; v <= xTop + xStep / 2; v += xStep) parts.push(`<text class="tick" x="${x(v).toFixed(1)}" y="${H - 10}" text-anchor="middle">${v}/s</text>`);
  const search = points.filter((p) => p.s.purpose === "ramp" || p.s.purpose === "bisect").sort((a, b) => a.s.rate - b.s.rate);
  if (search.length > 1) parts.push(`<polyline class="series" fill="none" stroke="#0072b2" stroke-width="1.6" points="${search.map((p) => `${x(p.s.rate).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ")}"/>`);
  for (const p of points) {
    const verify = p.s.purpose.startsWith("verify");
    const color = p.s.verdict === "PASS" ? "#1a7f37" : p.s.verdict === "FAIL" ? "#cf222e" : "#9a6700";
    parts.push(`<circle class="step" data-rate="${p.s.rate}" data-verdict="${esc(p.s.verdict)}" cx="${x(p.s.rate).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="${verify ? 5 : 4}" fill="${verify ? "none" : color}" stroke="${color}" stroke-width="1.6"><title>${esc(`${p.s.rate}/s (${p.s.purpose}, seed ${p.s.seed}): ${p.s.verdict}, ${unit(p.v)}`)}</title></circle>`);
  }
  return `<figure class="chart" id="${id}"><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${parts.join("")}</svg></figure>`;
}

export function renderCapacityHtml(r: CapacityResult): string {
  const rows = r.steps
    .map((s) => `<tr class="${s.verdict === "PASS" ? "pass" : s.verdict === "FAIL" ? "fail" : "inconclusive"}"><td>${esc(s.verdict)}</td><td>${s.rate}/s</td><td>${esc(s.purpose)}</td><td>${s.seed}</td><td>${ms(s.ttftP95)}</td><td>${pct(s.availability)}</td><td>${s.throughput ?? "–"}</td><td>${s.requests}</td><td>${esc(s.notPassing.join("; ") || "–")}</td><td><a href="${esc(s.dir.split("/").at(-1)!)}/report.html">report</a></td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>capacity · ${esc(r.scenario)} · aire</title><style>${htmlStyle}.capacity{stroke:#1a7f37;stroke-dasharray:4 3}</style></head>
<body>
<header><h1>${esc(r.scenario)}: capacity</h1>
<p class="muted">${esc(headline(r))}${r.knee !== null ? ` · knee ${r.knee}/s` : ""} · ${r.faults === 0 ? "no faults in the scenario" : r.withFaults ? `with its ${r.faults} fault(s)` : "its faults removed"} · ${r.steps.length} runs</p>
${r.note ? `<p class="warn">${esc(r.note)}</p>` : ""}</header>
<h2>Against the offered rate</h2>
${chart("chart-ttft", "TTFT p95 of the answers", r.steps, (s) => s.ttftP95, (v) => formatDuration(v), r)}
${chart("chart-availability", "Availability", r.steps, (s) => s.availability, (v) => `${Math.round(v * 1000) / 10}%`, r)}
${chart("chart-served", "Answers served per second", r.steps, (s) => s.throughput, (v) => `${v}/s`, r)}
<p class="muted">Filled dots: the search (ramp, then bisection); hollow: the verification runs with another seed. Green PASS, red FAIL, amber otherwise.</p>
<h2>Steps</h2>
<table><thead><tr><th>verdict</th><th>rate</th><th>step</th><th>seed</th><th>ttft p95</th><th>availability</th><th>served/s</th><th>requests</th><th>not passing</th><th>run</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
`;
}

export async function writeCapacityReports(r: CapacityResult): Promise<void> {
  await writeFile(join(r.dir, "capacity.json"), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(join(r.dir, "capacity.html"), renderCapacityHtml(r));
}
