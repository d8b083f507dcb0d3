/**
 * `aire compare <a> <b>`: did run B get worse than run A? Phase by phase (matched by name) and over
 * the whole run, each key figure is compared with its noise taken into account, from the raw
 * samples of both runs:
 * - latency percentiles: a regression only when B's 95% confidence interval lies wholly above A's,
 *   by more than the tolerance (default 10%); an improvement the other way round; else within noise;
 * - error rate: a regression when B's is higher by more than the tolerance (default 0.5 points)
 *   and a two-proportion z-test says the difference is real (95%);
 * - hypotheses whose verdict went from PASS to anything else.
 * @module
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HarnessError } from "../base/errors.js";
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";
import { WindowStats } from "../metrics/window-stats.js";
import type { Stat } from "../slo/expression.js";
import { formatDuration } from "../base/units.js";
import { buildReport, readJsonl } from "./build.js";
import type { RunReport } from "./run-report.js";

export interface CompareOptions {
  /** Relative worsening of a latency percentile, beyond the noise, that counts as a regression (0.1 = 10%). */
  latencyTolerance?: number;
  /** Absolute rise of the error rate that counts as a regression (0.005 = 0.5 points). */
  errorTolerance?: number;
}

export type Change = "regression" | "improvement" | "same" | "n/a";

export interface Comparison {
  window: string;
  metric: string;
  a: string;
  b: string;
  /** B relative to A: "+12.3%", "+0.8 pts". */
  delta: string;
  change: Change;
  why: string;
}

export interface CompareResult {
  a: { dir: string; runId: string; scenario: string };
  b: { dir: string; runId: string; scenario: string };
  rows: Comparison[];
  regressions: number;
}

interface Run {
  dir: string;
  report: RunReport;
  windows: Map<string, WindowStats>;
}

async function loadRun(dir: string): Promise<Run> {
  if (!existsSync(dir)) throw new HarnessError("USAGE", { message: `${dir}: no such results directory` });
  const summary = join(dir, "summary.json");
  const report = existsSync(summary) ? (JSON.parse(await readFile(summary, "utf8")) as RunReport) : await buildReport(dir);
  const windows = new Map<string, WindowStats>([["run", new WindowStats()]]);
  for (const p of report.phases) windows.set(p.name, new WindowStats());
  for await (const sample of readJsonl<Sample>(join(dir, "samples.jsonl"), { n: 0 })) {
    windows.get(sample.phase)?.add(sample);
    windows.get("run")!.add(sample);
  }
  return { dir, report, windows };
}

const latencies: [keyof WindowStats["latency"], Stat][] = [["ttft", "p50"], ["ttft", "p95"], ["ttft", "p99"], ["tpot", "p50"], ["e2e", "p95"], ["itl", "p99"]];

function compareLatency(window: string, name: string, stat: Stat, a: LatencyHistogram, b: LatencyHistogram, tolerance: number): Comparison {
  const metric = `${name}.${stat}`;
  const va = a.stat(stat);
  const vb = b.stat(stat);
  if (va === undefined || vb === undefined) return { window, metric, a: va === undefined ? "–" : formatDuration(va), b: vb === undefined ? "–" : formatDuration(vb), delta: "", change: "n/a", why: "no successful request in one of the runs" };
  const [aLo, aHi] = a.percentileInterval(stat)!;
  const [bLo, bHi] = b.percentileInterval(stat)!;
  const delta = `${vb >= va ? "+" : ""}${(((vb - va) / va) * 100).toFixed(1)}%`;
  const base = { window, metric, a: formatDuration(va), b: formatDuration(vb), delta };
  if (aHi !== null && bLo > aHi * (1 + tolerance)) return { ...base, change: "regression", why: `B's 95% CI [${formatDuration(bLo)}, ${bHi === null ? "∞" : formatDuration(bHi)}] is above A's upper bound ${formatDuration(aHi)} by more than ${Math.round(tolerance * 100)}%` };
  if (bHi !== null && bHi * (1 + tolerance) < aLo) return { ...base, change: "improvement", why: `B's 95% CI upper bound ${formatDuration(bHi)} is below A's lower bound ${formatDuration(aLo)} by more than ${Math.round(tolerance * 100)}%` };
  return { ...base, change: "same", why: aHi === null || bHi === null ? "too few samples to bound the percentile" : "the confidence intervals overlap (within noise or tolerance)" };
}

function compareErrors(window: string, a: WindowStats, b: WindowStats, tolerance: number): Comparison {
  const base = { window, metric: "error_rate" };
  if (a.total === 0 || b.total === 0) return { ...base, a: "–", b: "–", delta: "", change: "n/a", why: "no requests in one of the runs" };
  const pa = (a.total - a.ok) / a.total;
  const pb = (b.total - b.ok) / b.total;
  const pooled = (a.total - a.ok + b.total - b.ok) / (a.total + b.total);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.total + 1 / b.total));
  const z = se === 0 ? 0 : (pb - pa) / se;
  const pct = (p: number) => `${(p * 100).toFixed(2)}%`;
  const delta = `${pb >= pa ? "+" : ""}${((pb - pa) * 100).toFixed(2)} pts`;
  const row = { ...base, a: pct(pa), b: pct(pb), delta };
  if (pb - pa > tolerance && z > 1.96) return { ...row, change: "regression", why: `higher by more than ${(tolerance * 100).toFixed(1)} points, z = ${z.toFixed(1)}` };
  if (pa - pb > tolerance && z < -1.96) return { ...row, change: "improvement", why: `lower by more than ${(tolerance * 100).toFixed(1)} points, z = ${z.toFixed(1)}` };
  return { ...row, change: "same", why: Math.abs(pb - pa) <= tolerance ? "within tolerance" : `not significant (z = ${z.toFixed(1)})` };
}

export async function compareRuns(dirA: string, dirB: string, options: CompareOptions = {}): Promise<CompareResult> {
  const latencyTolerance = options.latencyTolerance ?? 0.1;
  const errorTolerance = options.errorTolerance ?? 0.005;
  const [a, b] = await Promise.all([loadRun(dirA), loadRun(dirB)]);
  const rows: Comparison[] = [];
  const names = ["run", ...a.report.phases.map((p) => p.name).filter((n) => b.windows.has(n))];
  for (const name of names) {
    const wa = a.windows.get(name)!;
    const wb = b.windows.get(name)!;
    rows.push(compareErrors(name, wa, wb, errorTolerance));
    for (const [metric, stat] of latencies) rows.push(compareLatency(name, metric, stat, wa.latency[metric], wb.latency[metric], latencyTolerance));
  }
  for (const h of a.report.hypotheses) {
    const other = b.report.hypotheses.find((x) => x.name === h.name);
    if (!other) continue;
    const change: Change = h.verdict === "PASS" && other.verdict !== "PASS" ? "regression" : h.verdict !== "PASS" && other.verdict === "PASS" ? "improvement" : "same";
    rows.push({ window: h.during, metric: `hypothesis "${h.name}"`, a: h.verdict, b: other.verdict, delta: "", change, why: change === "same" ? "same verdict" : "verdict changed" });
  }
  const info = (r: Run) => ({ dir: r.dir, runId: r.report.runId, scenario: r.report.scenario.name });
  return { a: info(a), b: info(b), rows, regressions: rows.filter((r) => r.change === "regression").length };
}
