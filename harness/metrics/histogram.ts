/**
 * Latency histograms with constant memory and mergeable buckets (HdrHistogram), recorded in
 * microseconds with 3 significant digits and reported in milliseconds.
 * @module
 */
import * as hdr from "hdr-histogram-js";
import type { Stat } from "../slo/expression.js";

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
    return us / 1000;
  }

  merge(other: LatencyHistogram): void {
    this.#h.add(other.#h);
  }
}

function percentileOf(stat: Stat): number {
  return stat === "p999" ? 99.9 : Number(stat.slice(1));
}
