/**
 * Retry timing and the retry budget.
 *
 * Backoff is exponential with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): the k-th retry waits random(0, min(max, base·2^k)). A provider's own hint wins when it
 * gives one: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date — as the `openai`
 * client reads them.
 *
 * The budget keeps retries a bounded share of traffic, as Envoy's and Linkerd's retry budgets do:
 * over a rolling window, retries ≤ ratio × requests + minPerSecond × window seconds. Under a storm
 * where every attempt fails, amplification is therefore ≈ 1 + ratio instead of maxAttempts.
 * @module
 */
import type { Random } from "../../../base/random/prng.js";

export function backoffMs(retry: number, baseMs: number, maxMs: number, random: Random): number {
  return random() * Math.min(maxMs, baseMs * 2 ** retry);
}

/** The wait a response asks for, in ms, or undefined when it names none (or an unreadable one). */
export function retryAfterMs(headers: Readonly<Record<string, string | string[] | undefined>>, now = Date.now()): number | undefined {
  const ms = first(headers["retry-after-ms"]);
  if (ms !== undefined) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = first(headers["retry-after"]);
  if (after === undefined) return undefined;
  const seconds = Number.parseFloat(after);
  if (/^\s*\d+(\.\d+)?\s*$/.test(after) && Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Counts per second in a ring, so a rolling-window sum costs O(window seconds) at most once per second. */
class RollingCounter {
  readonly #slots: Float64Array;
  readonly #slotMs: number;
  #head = 0;
  #headTime = 0;
  #sum = 0;

  constructor(windowMs: number, slots: number) {
    this.#slots = new Float64Array(slots);
    this.#slotMs = windowMs / slots;
  }

  #advance(now: number): void {
    const slot = Math.floor(now / this.#slotMs);
    if (this.#headTime === 0) this.#headTime = slot;
    const steps = Math.min(slot - this.#headTime, this.#slots.length);
    for (let i = 0; i < steps; i++) {
      this.#head = (this.#head + 1) % this.#slots.length;
      this.#sum -= this.#slots[this.#head]!;
      this.#slots[this.#head] = 0;
    }
    if (slot > this.#headTime) this.#headTime = slot;
  }

  add(now: number, n = 1): void {
    this.#advance(now);
    this.#slots[this.#head]! += n;
    this.#sum += n;
  }

  sum(now: number): number {
    this.#advance(now);
    return this.#sum;
  }
}

export class RetryBudget {
  readonly #requests: RollingCounter;
  readonly #retries: RollingCounter;

  constructor(
    private readonly config: { ratio: number; minPerSecond: number; windowMs: number },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#requests = new RollingCounter(config.windowMs, 10);
    this.#retries = new RollingCounter(config.windowMs, 10);
  }

  /** Every logical request deposits into the budget. */
  request(): void {
    this.#requests.add(this.now());
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    const now = this.now();
    const allowed = this.config.ratio * this.#requests.sum(now) + (this.config.minPerSecond * this.config.windowMs) / 1000;
    if (this.#retries.sum(now) + 1 > allowed) return false;
    this.#retries.add(now);
    return true;
  }
}

export { RollingCounter };
