/**
 * Abort conditions, evaluated live: `error_rate > 50% for 10s` trips when, at a once-a-second
 * check, the requests that completed in the last 10 s (at least {@link MIN_REQUESTS} of them)
 * meet the condition. The run then stops injecting, rolls back and exits 4.
 * @module
 */
import type { Sample } from "../metrics/sample.js";
import { compare, describeMeasure, parseAssertion, type Condition } from "../slo/expression.js";
import { Tally } from "../slo/tally.js";
import type { Parsed } from "../units.js";
import { parseDuration } from "../units.js";
import { formatValue } from "../../reports/terminal.js";

/** Fewer requests than this in the window decide nothing: two failures out of three is not a storm. */
export const MIN_REQUESTS = 10;

export interface AbortCondition {
  text: string;
  condition: Condition;
  windowMs: number;
}

/** `<measure> <op> <value> for <duration>`. */
export function parseAbortCondition(text: string): Parsed<AbortCondition> {
  const m = /^(.*\S)\s+for\s+(\S+)\s*$/.exec(text);
  if (!m) return { ok: false, message: `cannot read abort condition "${text}": write <measure> <op> <value> for <duration>, e.g. "error_rate > 50% for 10s"` };
  const window = parseDuration(m[2]);
  if (!window.ok) return { ok: false, message: `the window of an abort condition: ${window.message}` };
  if (window.value < 1000) return { ok: false, message: "an abort condition's window is at least 1s (it is checked once a second)" };
  const parsed = parseAssertion(m[1]!);
  if (!parsed.ok) return parsed;
  const a = parsed.value;
  if (a.kind !== "measure") return { ok: false, message: `${a.kind} is measured after the run; an abort condition needs a live measure (latency, availability, error_rate, goodput, retry_amplification)` };
  if (a.threshold.kind === "baseline") return { ok: false, message: "an abort condition needs an absolute threshold, not a factor of the baseline" };
  if (!["latency", "ratio", "goodput", "retry_amplification"].includes(a.measure.kind)) return { ok: false, message: `${describeMeasure(a.measure)} cannot abort a run; use latency, availability, error_rate, goodput or retry_amplification` };
  return { ok: true, value: { text: text.trim(), condition: { measure: a.measure, op: a.op, threshold: a.threshold }, windowMs: window.value } };
}

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
