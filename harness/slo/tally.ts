/**
 * What one measure needs from a set of samples, kept as mergeable counts and histograms, so the
 * same measure can be taken over a whole window or over sliding seconds of it.
 * @module
 */
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";
import type { Measure, Scope } from "./expression.js";
import { wilson } from "./decidable.js";

/** The upstream attempts a logical request caused: each client attempt's gateway attempts (1 when a failed attempt did not say). */
export function upstreamAttempts(sample: Sample): number {
  let n = sample.attempts ?? 1;
  for (const earlier of sample.attemptLog ?? []) n += earlier.attempts ?? 1;
  return n;
}

export function inScope(sample: Sample, scope: Scope | undefined): boolean {
  if (!scope) return true;
  return (scope.tenant === undefined || sample.tenant === scope.tenant) && (scope.workload === undefined || sample.workload === scope.workload) && (scope.provider === undefined || sample.provider === scope.provider);
}

/** A measure's value, with the numbers behind it. */
export interface Observation {
  /** null when there is nothing to measure (no samples, or no success for a latency). */
  value: number | null;
  /** Samples the value was computed from. */
  samples: number;
  /** Requests in the window (for latencies, `samples` counts only the successes). */
  requests: number;
  /** 95% confidence interval, for percentiles (distribution-free, from order statistics) and ratios (Wilson). */
  ci?: [number, number | null];
  /** Not measured although there were requests: a latency the successes do not carry (tpot of one-token answers, a stream's TTFT from stock k6), a cost without prices or token counts, an amplification the target did not report. */
  unmeasured?: boolean;
}

export class Tally {
  total = 0;
  ok = 0;
  /** Requests counted against the measure: failures (of the class), or for goodput the good ones. */
  hits = 0;
  attempts = 0;
  /** Requests whose upstream attempts the target reported (x-aire-attempts); none: amplification unknown. */
  reported = 0;
  cost = 0;
  /** Answered requests without a price (their model has none, or the results carry no token counts). */
  unpriced = 0;
  readonly histogram: LatencyHistogram | undefined;

  constructor(readonly measure: Measure) {
    this.histogram = measure.kind === "latency" ? new LatencyHistogram() : undefined;
  }

  add(sample: Sample): void {
    const m = this.measure;
    if (!inScope(sample, m.scope)) return;
    this.total++;
    if (sample.ok) this.ok++;
    switch (m.kind) {
      case "latency":
        if (m.metric === "e2e_any") {
          this.histogram!.record(sample.e2e);
          return;
        }
        if (!sample.ok) return;
        if (m.metric === "itl") {
          for (const gap of sample.gaps ?? []) this.histogram!.record(gap);
          return;
        }
        {
          const v = m.metric === "max_stall" ? sample.maxStall : sample[m.metric];
          if (v !== undefined) this.histogram!.record(v);
        }
        return;
      case "ratio":
      case "burn_rate":
        if (!sample.ok && (m.kind === "burn_rate" || m.errorClass === undefined || sample.errorClass === m.errorClass)) this.hits++;
        return;
      case "goodput":
        if (sample.ok && m.conditions.every((c) => {
          const v = c.metric === "max_stall" ? (sample.maxStall ?? 0) : sample[c.metric];
          return v !== undefined && (c.op === "<" ? v < c.ms : v <= c.ms);
        })) this.hits++;
        return;
      case "retry_amplification":
        this.attempts += upstreamAttempts(sample);
        if (sample.attempts !== undefined || sample.attemptLog?.some((a) => a.attempts !== undefined)) this.reported++;
        return;
      case "cost":
        if (typeof sample.cost === "number") this.cost += sample.cost;
        else this.unpriced++;
        return;
      case "throughput":
        return;
    }
  }

  merge(other: Tally): void {
    this.total += other.total;
    this.ok += other.ok;
    this.hits += other.hits;
    this.attempts += other.attempts;
    this.reported += other.reported;
    this.cost += other.cost;
    this.unpriced += other.unpriced;
    if (this.histogram && other.histogram) this.histogram.merge(other.histogram);
  }

  /** The measure's value over this tally; `durationMs` is the window's length (for throughput). */
  observe(durationMs: number): Observation {
    const m = this.measure;
    const none = (samples: number): Observation => ({ value: null, samples, requests: this.total });
    switch (m.kind) {
      case "latency": {
        const h = this.histogram!;
        const value = h.stat(m.stat);
        if (value === undefined) return this.ok > 0 && m.metric !== "e2e_any" ? { ...none(0), unmeasured: true } : none(0);
        const ci = h.percentileInterval(m.stat);
        return { value: round(value), samples: h.count, requests: this.total, ...(ci ? { ci: [round(ci[0]), ci[1] === null ? null : round(ci[1])] as [number, number | null] } : {}) };
      }
      case "ratio": {
        if (this.total === 0) return none(0);
        const failed = this.hits;
        const p = m.metric === "availability" ? this.ok / this.total : failed / this.total;
        return { value: round(p, 6), samples: this.total, requests: this.total, ci: wilson(m.metric === "availability" ? this.ok : failed, this.total) };
      }
      case "goodput":
        if (this.total === 0) return none(0);
        return { value: round(this.hits / this.total, 6), samples: this.total, requests: this.total, ci: wilson(this.hits, this.total) };
      case "burn_rate":
        if (this.total === 0) return none(0);
        return { value: round(this.hits / this.total / (1 - m.slo), 4), samples: this.total, requests: this.total };
      case "retry_amplification":
        if (this.total === 0) return none(0);
        if (this.reported === 0) return { ...none(this.total), unmeasured: true };
        return { value: round(this.attempts / this.total, 4), samples: this.total, requests: this.total };
      case "cost":
        if (this.total === 0) return none(0);
        if (this.unpriced > 0) return { ...none(this.total), unmeasured: true };
        return { value: round(m.field === "total" ? this.cost : (this.cost / this.total) * 1000, 6), samples: this.total, requests: this.total };
      case "throughput":
        if (durationMs <= 0) return none(this.total);
        return { value: round(this.ok / (durationMs / 1000), 4), samples: this.total, requests: this.total };
      case "probe":
        // Probes are judged on their readings (score.ts): requests say nothing of them.
        return none(0);
    }
  }
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
