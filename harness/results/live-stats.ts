/**
 * What a run looks like right now, for the live progress line: requests completed per second,
 * TTFT p95 and the error rate over the last few seconds (by completion time).
 * @module
 */
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";

export interface LiveSnapshot {
  /** Requests completed per second over the window. */
  rps: number;
  /** ms over the window's successful requests; null when none succeeded. */
  ttftP95: number | null;
  /** 0..1; null with no request in the window. */
  errorRate: number | null;
}

interface Second {
  n: number;
  ok: number;
  ttft: LatencyHistogram;
}

export class LiveStats {
  readonly #seconds = new Map<number, Second>();
  #first: number | undefined;

  constructor(readonly windowS = 5) {}

  add(sample: Sample, now = performance.now()): void {
    const s = Math.floor(now / 1000);
    this.#first ??= s;
    let second = this.#seconds.get(s);
    if (!second) this.#seconds.set(s, (second = { n: 0, ok: 0, ttft: new LatencyHistogram() }));
    second.n++;
    if (sample.ok) {
      second.ok++;
      if (sample.ttft !== undefined) second.ttft.record(sample.ttft);
    }
  }

  /** The last `windowS` whole seconds (the current one is not over yet). */
  snapshot(now = performance.now()): LiveSnapshot {
    const current = Math.floor(now / 1000);
    const ttft = new LatencyHistogram();
    let n = 0;
    let ok = 0;
    for (const [s, second] of this.#seconds) {
      if (s < current - this.windowS) this.#seconds.delete(s);
      else if (s < current) {
        n += second.n;
        ok += second.ok;
        ttft.merge(second.ttft);
      }
    }
    // Over the seconds there have been requests in, up to the window (the first seconds are shorter).
    const span = this.#first === undefined ? 0 : Math.min(this.windowS, current - this.#first);
    return { rps: span <= 0 ? 0 : n / span, ttftP95: ttft.stat("p95") ?? null, errorRate: n === 0 ? null : (n - ok) / n };
  }
}
