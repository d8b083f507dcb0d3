/** The terminal summary: a per-phase table and the hypothesis verdicts. @module */
import { formatDuration } from "../harness/base/units.js";
import type { AssertionResult } from "../harness/slo/score.js";
import type { RunReport } from "../harness/results/run-report.js";
import { exportLines, probeLines, starvationNote, telemetryFacts } from "./telemetry.js";

const pct = (v: number | null) => (v === null ? "-" : `${(v * 100).toFixed(v === 1 || v === 0 ? 0 : 2)}%`);
const ms = (v: number | null) => (v === null ? "-" : formatDuration(v));

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
export function table(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

/** A value in its unit, the way an SRE writes it. */
export function formatValue(v: number, unit: AssertionResult["unit"]): string {
  switch (unit) {
    case "ms": return formatDuration(v);
    case "ratio": return pct(v);
    case "usd": return `$${v < 1 ? v.toFixed(4) : v.toFixed(2)}`;
    case "per_sec": return `${Math.round(v * 100) / 100}/s`;
    case "number": return String(Math.round(v * 1000) / 1000);
  }
}

/** An assertion's 95% confidence interval, `102ms–123ms` (`∞` when unbounded); "" without one. */
export function formatInterval(a: Pick<AssertionResult, "ci" | "unit">, separator = "–"): string {
  return a.ci ? `${formatValue(a.ci[0], a.unit)}${separator}${a.ci[1] === null ? "∞" : formatValue(a.ci[1], a.unit)}` : "";
}

export const mark = (verdict: string) => (verdict === "PASS" ? "✓" : verdict === "FAIL" ? "✗" : "?");

export function renderTerminal(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`aire · ${report.scenario.name} · run ${report.runId} · seed ${report.scenario.seed}${report.scenario.timeScale !== 1 ? ` · time scale ${report.scenario.timeScale}` : ""}`);
  lines.push("");
  const header = ["phase", "duration", "requests", "avail", "errors", "ttft p50", "ttft p95", "ttft p99", "e2e p95", "attempts/req", "served by"];
  const rows = report.phases.map((p) => [
    p.name,
    formatDuration(p.durationMs),
    String(p.requests),
    pct(p.availability),
    Object.entries(p.errors).map(([k, v]) => `${k}:${v}`).join(",") || "0",
    ms(p.ttft.p50),
    ms(p.ttft.p95),
    ms(p.ttft.p99),
    ms(p.e2e.p95),
    p.attemptsPerRequest === null ? "-" : p.attemptsPerRequest.toFixed(2),
    Object.entries(p.providers).map(([k, v]) => `${k}:${v}`).join(",") || "-",
  ]);
  lines.push(table([header, ...rows]));
  for (const p of report.phases) if (p.faults.length > 0) lines.push(`  ${p.name}: ${p.faults.join("; ")}`);
  // What the stack said about itself, phase by phase (telemetry.jsonl): the breaker that opened.
  const facts = telemetryFacts(report);
  if (facts.length > 0) {
    lines.push("", "the stack reported (its own /metrics):");
    for (const f of facts) lines.push(`  ${f.phase}: ${f.facts.join("; ")}`);
  }
  const probes = probeLines(report);
  if (probes.length > 0) lines.push("", "probes (what the system answered when asked):", ...probes.map((l) => `  ${l}`));
  const exported = exportLines(report);
  if (exported.length > 0) lines.push("", "exports:", ...exported.map((l) => `  ${l}`));
  for (const [title, windows] of [["workload", report.total.workloads], ["tenant", report.total.tenants]] as const) {
    const entries = Object.entries(windows);
    // One workload is the phase table again; tenants are worth a table from one on.
    if (entries.length < (title === "workload" ? 2 : 1)) continue;
    lines.push("");
    const head = [title, "requests", "avail", "errors", "ttft p95", "tpot p50", "e2e p95", "out tokens"];
    const rows = entries.map(([name, w]) => [
      name,
      String(w.requests),
      pct(w.availability),
      Object.entries(w.errors).map(([k, v]) => `${k}:${v}`).join(",") || "0",
      ms(w.ttft.p95),
      ms(w.tpot.p50),
      ms(w.e2e.p95),
      String(w.outputTokens),
    ]);
    lines.push(table([head, ...rows]));
  }
  lines.push("");
  lines.push(`traffic: ${report.traffic.scheduled} scheduled (${report.traffic.arrival}${report.traffic.ratePerSec === null ? "" : `, mean ${report.traffic.ratePerSec}/s`}${report.traffic.workers ? `, from ${report.traffic.workers} generator processes` : ""}), ${report.traffic.completed} measured${report.traffic.unanswered ? ` (${report.traffic.unanswered} unanswered when the run ended)` : ""}, ${report.traffic.cancelled} cancelled, ${report.traffic.dropped ? `${report.traffic.dropped} dropped by k6, ` : ""}${report.traffic.lagMeasured === false ? "schedule and event-loop lag not measured (k6)" : `schedule lag p99 ${formatDuration(report.traffic.scheduleLagMs.p99)} (max ${formatDuration(report.traffic.maxScheduleLagMs)}), event-loop lag p99 ${formatDuration(report.traffic.eventLoopLagMs.p99)}`}${report.traffic.valid ? "" : ` — INVALID: ${report.traffic.invalidReason}`}`);
  const starved = starvationNote(report);
  if (starved) lines.push(`warning: ${starved}`);
  const cost = report.total.cost;
  if (cost.total > 0 || cost.unpriced > 0) {
    lines.push(`cost: $${cost.total.toFixed(4)} (${cost.per1kRequests === null ? "-" : `$${cost.per1kRequests.toFixed(4)}`} per 1k requests)${cost.unpriced > 0 ? `; ${cost.unpriced} answered requests have no price` : ""}`);
  }
  if (report.hypotheses.length > 0) {
    lines.push("");
    lines.push("hypotheses:");
    for (const h of report.hypotheses) {
      const excluded = h.excluded ? `; ${h.excluded} left out: in flight when another phase's fault began` : "";
      lines.push(`  ${h.verdict.padEnd(12)} ${h.name}  (during ${h.during}, ${h.samples} samples${excluded})${h.reason ? ` — ${h.reason}` : ""}`);
      for (const a of h.assertions) {
        const observed = a.observed === null ? "no data" : formatValue(a.observed, a.unit);
        const ci = a.ci ? `, 95% CI ${formatInterval(a)}` : "";
        const baseline = a.baseline ? `, baseline ${a.baseline.value === null ? "none" : formatValue(a.baseline.value, a.unit)}` : "";
        lines.push(`      ${mark(a.verdict)} ${a.assertion.padEnd(28)} observed ${observed} (n=${a.samples}${ci}${baseline})${a.note ? ` — ${a.note}` : ""}`);
      }
    }
  }
  lines.push("");
  lines.push(`verdict: ${report.verdict}${report.error ? ` — ${report.error}` : ""}`);
  return lines.join("\n");
}
