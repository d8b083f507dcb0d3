/**
 * `aire ingest k6 aire-summary.json… --scenario s.yaml`: the hypotheses scored on the JSON that an
 * exported script's `handleSummary` writes (one file per runner), when the raw `--out json` files
 * are not at hand.
 *
 * A summary holds aggregates, not requests, so this says less than ingesting the raw files:
 * - Only assertions the export turned into thresholds can be scored: their submetric (e.g.
 *   `aire_ttft{phase:burst}`) is in the summary because the threshold made k6 keep it.
 * - Rates (`availability`, `error_rate`, goodput) and a trend's count, min, max and mean merge
 *   exactly across runners; percentiles do not (the p95 of two p95s is not the p95), so with
 *   several runners a percentile assertion is INCONCLUSIVE, with the reason.
 * - Fewer samples than the hypothesis's `minSamples` is INCONCLUSIVE, as in a run.
 * The verdicts are aire's own comparison of the observed value with the assertion; k6's own
 * threshold result (`ok`) is reported beside it.
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HarnessError } from "../../base/errors.js";
import type { LoadedScenario } from "../../scenario/load.js";
import type { Scenario } from "../../scenario/schema.js";
import { newRunId } from "../../results/run-id.js";
import { judgeRate, wilson } from "../../slo/decidable.js";
import { compare, type Operator } from "../../slo/expression.js";
import type { Verdict } from "../../slo/score.js";
import { thresholdsFor } from "./export.js";

/** One metric of a k6 summary (handleSummary's `data.metrics[name]`). */
interface SummaryMetric {
  type: "trend" | "rate" | "counter" | "gauge";
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6Summary {
  file: string;
  metrics: Record<string, SummaryMetric>;
}

export interface SummaryAssertion {
  assertion: string;
  verdict: Verdict;
  observed?: number;
  samples?: number;
  /** k6's own result for the threshold, per runner file. */
  k6?: boolean[];
  why?: string;
}

export interface SummaryHypothesis {
  name: string;
  during: string;
  verdict: Verdict;
  assertions: SummaryAssertion[];
}

/** Is this file a handleSummary JSON (one object with `metrics`) rather than NDJSON? */
export async function readSummary(file: string): Promise<K6Summary | undefined> {
  const text = await readFile(file, "utf8").catch((err: Error) => {
    throw new HarnessError("USAGE", { message: `cannot read ${file}: ${err.message}` });
  });
  const firstLine = text.slice(0, text.indexOf("\n") >>> 0);
  try {
    const first = JSON.parse(firstLine) as { type?: unknown };
    if (first.type === "Metric" || first.type === "Point") return undefined;
  } catch {
    // not one JSON object per line: maybe a whole JSON document
  }
  let data: { metrics?: unknown };
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!data || typeof data.metrics !== "object" || data.metrics === null) return undefined;
  return { file, metrics: data.metrics as Record<string, SummaryMetric> };
}

const statKey: Record<string, string> = { med: "med", avg: "avg", min: "min", max: "max" };

/** Scores the scenario's hypotheses on the runners' summaries (see the module comment). */
export function scoreSummaries(scenario: Scenario, summaries: readonly K6Summary[]): { hypotheses: SummaryHypothesis[]; exitCode: number } {
  // The export's own mapping: with --sse it expresses the most; a metric the script did not record is simply absent.
  const plan = thresholdsFor(scenario, true);
  const hypotheses: SummaryHypothesis[] = scenario.hypotheses.map((h) => {
    const assertions = h.expect.map((a): SummaryAssertion => {
      const exported = plan.exported.find((t) => t.hypothesis === h.name && t.assertion === a.text);
      if (!exported) {
        const why = plan.unexpressed.find((u) => u.hypothesis === h.name && u.assertion === a.text)?.why ?? "not expressible as a k6 threshold";
        return { assertion: a.text, verdict: "INCONCLUSIVE", why: `not in a k6 summary (${why}); ingest the --out json files` };
      }
      const found = summaries.map((s) => s.metrics[exported.metric]);
      if (found.some((m) => m === undefined)) {
        return { assertion: a.text, verdict: "INCONCLUSIVE", why: `${exported.metric} is not in ${summaries.filter((_, i) => !found[i]).map((s) => s.file).join(", ")} (a script exported without --sse, or from another scenario version)` };
      }
      const metrics = found as SummaryMetric[];
      const k6 = metrics.map((m) => m.thresholds?.[exported.expression]?.ok).filter((ok): ok is boolean => ok !== undefined);
      const m = /^(avg|min|max|med|p\(\d+(?:\.\d+)?\)|rate)(<=|>=|==|<|>)(\d+(?:\.\d+)?)$/.exec(exported.expression)!;
      const [, stat, op, value] = m as unknown as [string, string, Operator, string];
      let observed: number;
      let samples: number;
      if (stat === "rate") {
        const passes = metrics.reduce((sum, x) => sum + (x.values.passes ?? 0), 0);
        const fails = metrics.reduce((sum, x) => sum + (x.values.fails ?? 0), 0);
        samples = passes + fails;
        observed = samples === 0 ? Number.NaN : passes / samples;
      } else {
        samples = metrics.reduce((sum, x) => sum + (x.values.count ?? 0), 0);
        if (stat === "min" || stat === "max") observed = (stat === "min" ? Math.min : Math.max)(...metrics.map((x) => x.values[stat]!));
        else if (stat === "avg") observed = metrics.reduce((sum, x) => sum + x.values.avg! * (x.values.count ?? 0), 0) / samples;
        else if (metrics.length > 1) return { assertion: a.text, verdict: "INCONCLUSIVE", samples, k6, why: `the ${stat} of ${metrics.length} runners cannot be merged from their summaries; ingest their --out json files` };
        else observed = metrics[0]!.values[statKey[stat] ?? stat]!;
      }
      if (samples < h.minSamples || !Number.isFinite(observed)) return { assertion: a.text, verdict: "INCONCLUSIVE", samples, k6, ...(Number.isFinite(observed) ? { observed } : {}), why: `${samples} samples, fewer than ${h.minSamples}` };
      // A rate is judged on its 95% interval, as in a run; the rest on the value.
      const judged = stat === "rate" ? judgeRate(observed, wilson(Math.round(observed * samples), samples), samples, op, Number(value)) : { verdict: compare(observed, op, Number(value)) ? ("PASS" as const) : ("FAIL" as const) };
      // error_rate was exported as the complement of aire_ok's rate: report it as the user wrote it.
      const shown = a.kind === "measure" && a.measure.kind === "ratio" && a.measure.metric === "error_rate" && a.measure.errorClass === undefined ? 1 - observed : observed;
      return { assertion: a.text, verdict: judged.verdict, observed: Math.round(shown * 1e6) / 1e6, samples, k6, ...(judged.note ? { why: judged.note } : {}) };
    });
    const verdicts = assertions.map((a) => a.verdict);
    const verdict: Verdict = verdicts.includes("FAIL") ? "FAIL" : verdicts.every((v) => v === "PASS") ? "PASS" : "INCONCLUSIVE";
    return { name: h.name, during: h.during, verdict, assertions };
  });
  return { hypotheses, exitCode: hypotheses.every((h) => h.verdict === "PASS") ? 0 : 1 };
}

/** The verdicts as text, for the terminal. */
export function renderSummaryVerdicts(hypotheses: readonly SummaryHypothesis[], files: readonly string[]): string {
  const lines = [`k6 summaries: ${files.join(", ")} (aggregates only: see aire ingest k6 --help)`];
  for (const h of hypotheses) {
    lines.push(`${h.verdict.padEnd(12)} ${h.name} (during ${h.during})`);
    for (const a of h.assertions) {
      const k6 = a.k6 && a.k6.length > 0 ? `; k6: ${a.k6.map((ok) => (ok ? "ok" : "crossed")).join(", ")}` : "";
      lines.push(`  ${a.verdict.padEnd(12)} ${a.assertion}${a.observed !== undefined ? ` — observed ${a.observed}` : ""}${a.samples !== undefined ? ` over ${a.samples} requests` : ""}${k6}${a.why ? ` — ${a.why}` : ""}`);
    }
  }
  return lines.join("\n");
}

/** Scores handleSummary files and writes `verdicts.json` into a new results directory under `outDir`. */
export async function ingestSummaries(loaded: LoadedScenario, file: string, files: readonly string[], summaries: readonly K6Summary[], outDir: string): Promise<{ hypotheses: SummaryHypothesis[]; exitCode: number; file: string }> {
  const scored = scoreSummaries(loaded.scenario, summaries);
  const dir = join(outDir, newRunId(`${loaded.scenario.name}-k6-summary`));
  await mkdir(dir, { recursive: true });
  const verdicts = join(dir, "verdicts.json");
  await writeFile(verdicts, `${JSON.stringify({ scenario: loaded.scenario.name, file, source: "k6 handleSummary", files, hypotheses: scored.hypotheses }, null, 2)}\n`);
  return { ...scored, file: verdicts };
}
