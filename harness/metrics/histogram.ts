/**
 * Latency histograms with constant memory and mergeable buckets (HdrHistogram), recorded in
 * microseconds with 3 significant digits and reported in milliseconds.
 * @module
 */
import * as hdr from "hdr-histogram-js";
import type { Stat } from "./vocabulary.js";

export class LatencyHistogram {
  readonly #h = hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });

  record(ms: number): void {
    this.#h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.#h.totalCount;
  }

  /** The statistic in ms; `undefined` when nothing was recorded. */
  stat(stat: Stat): number | undefined {
    if (this.#h.totalCount === 0) return undefined;
    const us =
      stat === "mean" ? this.#h.mean : stat === "min" ? this.#h.minNonZeroValue : stat === "max" ? this.#h.maxValue : this.#h.getValueAtPercentile(percentileOf(stat));
    return significant(us) / 1000;
  }

  /**
   * A distribution-free 95% confidence interval for a percentile, in ms, from order statistics:
   * the true p-th percentile lies between the l-th and u-th smallest values, with l and u at
   * n·q ∓ z·√(n·q·(1−q)). `null` as the upper bound when u is past the largest value: too few
   * samples to bound the percentile from above (p99 needs about 400). Undefined for mean/min/max.
   */
  percentileInterval(stat: Stat, z = 1.96): [number, number | null] | undefined {
    const n = this.#h.totalCount;
    if (n === 0 || stat === "mean" || stat === "min" || stat === "max") return undefined;
    const q = percentileOf(stat) / 100;
    const spread = z * Math.sqrt(n * q * (1 - q));
    const lo = Math.floor(n * q - spread);
    const hi = Math.ceil(n * q + spread);
    const at = (rank: number) => significant(this.#h.getValueAtPercentile((100 * rank) / n)) / 1000;
    return [lo < 1 ? significant(this.#h.minNonZeroValue) / 1000 : at(lo), hi > n ? null : at(hi)];
  }

  merge(other: LatencyHistogram): void {
    this.#h.add(other.#h);
  }

  /** Every bucket, compressed, as text (HdrHistogram's own encoding): to send to another process. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.#h);
  }

  /** Adds the buckets of an `encode()`d histogram: exact, as `merge`. */
  mergeEncoded(text: string): void {
    this.#h.add(hdr.decodeFromCompressedBase64(text, 32, false));
  }
}

/**
 * A value to 4 significant digits, about the histogram's own precision (3 "significant digits" in
 * HdrHistogram's terms: buckets 1/1024 of their value wide). Buckets report their upper edge —
 * 100 ms recorded reads back as 100.031 ms — which would make a threshold met exactly look missed.
 */
function significant(us: number): number {
  if (us <= 0) return us;
  const scale = 10 ** (Math.floor(Math.log10(us)) - 3);
  return Math.round(us / scale) * scale;
}

function percentileOf(stat: Stat): number {
  return stat === "p999" ? 99.9 : Number(stat.slice(1));
}
