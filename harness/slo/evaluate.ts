/**
 * Scoring, as a pure function: hypotheses × per-window statistics → verdicts. An SLO breach is data.
 * @module
 */
import { WindowStats } from "../metrics/window-stats.js";
import type { HypothesisSpec } from "../scenario/schema.js";
import { compare, type Assertion, type Scope } from "./expression.js";

export type Verdict = "PASS" | "FAIL" | "INCONCLUSIVE";

export interface AssertionResult {
  assertion: string;
  /** The observed value: ms for latency metrics, a 0..1 ratio for ratios; absent with no data. */
  observed: number | null;
  threshold: number;
  unit: "ms" | "ratio";
  /** How many samples the value was computed from. */
  samples: number;
  verdict: Verdict;
  note?: string;
}

export interface HypothesisResult {
  name: string;
  during: string;
  verdict: Verdict;
  samples: number;
  reason?: string;
  assertions: AssertionResult[];
}

export interface ScoreContext {
  /** False when the generator fell behind its schedule: nothing it measured may PASS. */
  trafficValid: boolean;
  invalidReason?: string;
  /** The windows of one tenant or workload within a phase, for assertions with a filter. */
  scoped?: (phase: string, scope: Scope) => WindowStats | undefined;
}

export function scoreHypotheses(hypotheses: readonly HypothesisSpec[], windows: ReadonlyMap<string, WindowStats>, context: ScoreContext): HypothesisResult[] {
  return hypotheses.map((h) => {
    const stats = windows.get(h.during);
    const samples = stats?.total ?? 0;
    const assertions = h.expect.map((a) => {
      if (!a.scope) return scoreAssertion(a, stats);
      const scoped = context.scoped?.(h.during, a.scope) ?? new WindowStats();
      const result = scoreAssertion(a, scoped);
      // A filtered assertion needs the samples itself: a tenant that sent little proves little.
      if (result.verdict === "PASS" && scoped.total < h.minSamples) {
        const who = a.scope.tenant !== undefined ? `tenant ${a.scope.tenant}` : `workload ${a.scope.workload}`;
        return { ...result, verdict: "INCONCLUSIVE" as const, note: `${scoped.total} samples for ${who}, fewer than the ${h.minSamples} required` };
      }
      return result;
    });
    const base = { name: h.name, during: h.during, samples, assertions };
    if (!context.trafficValid) return { ...base, verdict: "INCONCLUSIVE", reason: context.invalidReason ?? "the traffic generator fell behind its schedule" };
    if (samples < h.minSamples) return { ...base, verdict: "INCONCLUSIVE", reason: `${samples} samples in "${h.during}", fewer than the ${h.minSamples} required` };
    if (assertions.some((a) => a.verdict === "FAIL")) return { ...base, verdict: "FAIL" };
    if (assertions.some((a) => a.verdict === "INCONCLUSIVE")) return { ...base, verdict: "INCONCLUSIVE", reason: assertions.find((a) => a.verdict === "INCONCLUSIVE")?.note ?? "an assertion had no data" };
    return { ...base, verdict: "PASS" };
  });
}

export function scoreAssertion(assertion: Assertion, stats: WindowStats | undefined): AssertionResult {
  if (assertion.kind === "latency") {
    const h = stats?.latency[assertion.metric];
    const observed = h?.stat(assertion.stat);
    const base = { assertion: assertion.text, threshold: assertion.threshold, unit: "ms" as const, samples: h?.count ?? 0 };
    if (observed === undefined) {
      // Requests were sent but none succeeded: users saw no latency because they saw no answer.
      return stats && stats.total > 0
        ? { ...base, observed: null, verdict: "FAIL", note: "no successful request to measure" }
        : { ...base, observed: null, verdict: "INCONCLUSIVE", note: "no samples" };
    }
    return { ...base, observed: round3(observed), verdict: compare(observed, assertion.op, assertion.threshold) ? "PASS" : "FAIL" };
  }
  const observed = assertion.metric === "availability" ? stats?.availability : stats?.errorRate(assertion.errorClass);
  const base = { assertion: assertion.text, threshold: assertion.threshold, unit: "ratio" as const, samples: stats?.total ?? 0 };
  if (observed === undefined) return { ...base, observed: null, verdict: "INCONCLUSIVE", note: "no samples" };
  return { ...base, observed: round3(observed * 100) / 100, verdict: compare(observed, assertion.op, assertion.threshold) ? "PASS" : "FAIL" };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;
