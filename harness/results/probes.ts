/**
 * The probes' readings (probes.jsonl) summarized for the report: how often each probe was read,
 * how often it could not be, and the range of what it said. The verdicts on them are the
 * hypotheses' (slo/score.ts).
 * @module
 */
import type { ProbeReading } from "../metrics/probe-reading.js";
import { describeProbe, type ProbeSpec } from "../probes/schema.js";

export interface ProbeSummary {
  name: string;
  kind: "http" | "prometheus" | "metrics";
  mode: "before" | "after" | "both" | "continuous" | "during";
  /** What it asks: a URL, a query, a component's series. */
  asks: string;
  readings: number;
  /** Readings that got no answer (or not one of the expected shape). */
  unreadable: number;
  firstError?: string;
  /** Over the readings that got one: the value (the sum of the series read), lowest, highest and last. */
  values?: { min: number; max: number; last: number };
}

export function summarizeProbes(specs: readonly ProbeSpec[], readings: readonly ProbeReading[]): ProbeSummary[] {
  return specs.map((spec) => {
    const own = readings.filter((r) => r.probe === spec.name).sort((a, b) => a.t - b.t);
    const failed = own.filter((r) => r.error !== undefined);
    const values = own.filter((r) => r.series && r.series.length > 0).map((r) => r.series!.reduce((sum, s) => sum + s.value, 0));
    const kind = spec.http ? "http" : spec.prometheus ? "prometheus" : "metrics";
    const asks = describeProbe(spec);
    return {
      name: spec.name,
      kind,
      mode: spec.mode,
      asks,
      readings: own.length,
      unreadable: failed.length,
      ...(failed.length > 0 ? { firstError: failed[0]!.error! } : {}),
      ...(values.length > 0 ? { values: { min: Math.min(...values), max: Math.max(...values), last: values.at(-1)! } } : {}),
    };
  });
}
