/**
 * Abort conditions, evaluated live: `error_rate > 50% for 10s` trips when, at a once-a-second
 * check, the requests that completed in the last 10 s (at least {@link MIN_REQUESTS} of them)
 * meet the condition. The run then stops injecting, rolls back and exits 4.
 * @module
 */
import type { Sample } from "../metrics/sample.js";
import { compare } from "../slo/expression.js";
import { Tally } from "../slo/tally.js";
import type { AbortCondition } from "../slo/abort-condition.js";
import { formatValue } from "../../reports/terminal.js";

export { parseAbortCondition, type AbortCondition } from "../slo/abort-condition.js";

/** Fewer requests than this in the window decide nothing: two failures out of three is not a storm. */
export const MIN_REQUESTS = 10;

export interface Trip {
  condition: string;
  observed: string;
  requests: number;
}

export class AbortWatch {
  /** Per condition, per second of completion (performance.now() / 1000). */
  readonly #buckets: Map<number, Tally>[];
  #timer: NodeJS.Timeout | undefined;
  #tripped = false;

  constructor(readonly conditions: readonly AbortCondition[], readonly onTrip: (trip: Trip) => void) {
    this.#buckets = conditions.map(() => new Map());
  }

  start(): void {
    if (this.conditions.length === 0) return;
    this.#timer = setInterval(() => this.check(), 1000);
    this.#timer.unref();
  }

  add(sample: Sample, now = performance.now()): void {
    if (this.conditions.length === 0 || this.#tripped) return;
    const second = Math.floor(now / 1000);
    this.conditions.forEach((c, i) => {
      const buckets = this.#buckets[i]!;
      let tally = buckets.get(second);
      if (!tally) buckets.set(second, (tally = new Tally(c.condition.measure)));
      tally.add(sample);
    });
  }

  /** Evaluates every condition on the requests completed in its window; trips once. */
  check(now = performance.now()): void {
    if (this.#tripped) return;
    const second = Math.floor(now / 1000);
    this.conditions.forEach((c, i) => {
      if (this.#tripped) return;
      const buckets = this.#buckets[i]!;
      const seconds = Math.round(c.windowMs / 1000);
      const sum = new Tally(c.condition.measure);
      for (const [s, tally] of buckets) {
        if (s <= second - seconds) buckets.delete(s);
        else sum.merge(tally);
      }
      const o = sum.observe(c.windowMs);
      const threshold = c.condition.threshold.kind === "value" ? c.condition.threshold.value : Number.NaN;
      if (o.value === null || o.requests < MIN_REQUESTS || !compare(o.value, c.condition.op, threshold)) return;
      this.#tripped = true;
      this.stop();
      const unit = c.condition.measure.kind === "latency" ? "ms" : c.condition.measure.kind === "retry_amplification" ? "number" : "ratio";
      this.onTrip({ condition: c.text, observed: formatValue(o.value, unit), requests: o.requests });
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
