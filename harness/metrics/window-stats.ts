/**
 * Everything scoring needs about one window of samples (a phase, or the whole run), aggregated as
 * samples arrive: histograms for each latency metric and counts per error class.
 * @module
 */
import type { ErrorClass, LatencyMetric } from "./vocabulary.js";
import { LatencyHistogram } from "./histogram.js";
import type { Sample } from "./sample.js";

export class WindowStats {
  total = 0;
  ok = 0;
  outputTokens = 0;
  readonly errors = new Map<ErrorClass, number>();
  readonly latency: Record<LatencyMetric, LatencyHistogram> = {
    ttfb: new LatencyHistogram(),
    ttft: new LatencyHistogram(),
    e2e: new LatencyHistogram(),
    tpot: new LatencyHistogram(),
    itl: new LatencyHistogram(),
    max_stall: new LatencyHistogram(),
    e2e_any: new LatencyHistogram(),
  };
  readonly providers = new Map<string, number>();
  attempts = 0;
  /** Client attempts (its own retries included). */
  clientAttempts = 0;
  abandoned = 0;
  promptTokens = 0;
  /** USD, over the requests whose model has a price. */
  cost = 0;
  /** Requests answered 2xx by a model with no price in the table. */
  unpriced = 0;

  add(sample: Sample): void {
    this.total++;
    this.outputTokens += sample.outputTokens;
    this.promptTokens += sample.promptTokens ?? 0;
    this.clientAttempts += sample.clientAttempts ?? 1;
    if (sample.abandoned) this.abandoned++;
    if (typeof sample.cost === "number") this.cost += sample.cost;
    else if (sample.cost === null) this.unpriced++;
    this.attempts += sample.attempts ?? 1;
    // How long users waited for an outcome, answer or error (a hang shows here, not in e2e).
    this.latency.e2e_any.record(sample.e2e);
    if (sample.provider) this.providers.set(sample.provider, (this.providers.get(sample.provider) ?? 0) + 1);
    if (sample.ok) {
      this.ok++;
      // Latency percentiles describe the answers users got; failures are counted by availability.
      if (sample.ttfb !== undefined) this.latency.ttfb.record(sample.ttfb);
      if (sample.ttft !== undefined) this.latency.ttft.record(sample.ttft);
      this.latency.e2e.record(sample.e2e);
      if (sample.tpot !== undefined) this.latency.tpot.record(sample.tpot);
      if (sample.maxStall !== undefined) this.latency.max_stall.record(sample.maxStall);
      if (sample.gaps) for (const gap of sample.gaps) this.latency.itl.record(gap);
    } else if (sample.errorClass) {
      this.errors.set(sample.errorClass, (this.errors.get(sample.errorClass) ?? 0) + 1);
    }
  }

  get availability(): number | undefined {
    return this.total === 0 ? undefined : this.ok / this.total;
  }

  errorRate(errorClass?: ErrorClass): number | undefined {
    if (this.total === 0) return undefined;
    const failed = errorClass === undefined ? this.total - this.ok : (this.errors.get(errorClass) ?? 0);
    return failed / this.total;
  }
}
