/**
 * A 1-second time series of the key metrics, for charts and window scoring: each request counts
 * in the second it was due (its intended send time), so a fault window lines up with the requests
 * sent into it. Percentiles per second come from packed HDR histograms (memory grows with the
 * distinct values seen, not with the range), 2 significant digits.
 * @module
 */
import * as hdr from "hdr-histogram-js";
import type { Sample } from "./sample.js";

export interface SecondSummary {
  /** Seconds since the traffic started. */
  t: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  outputTokens: number;
  /** ms, over the second's successful requests; null when none succeeded. */
  ttftP50: number | null;
  ttftP95: number | null;
  e2eP95: number | null;
}

interface Second {
  requests: number;
  ok: number;
  errors: Map<string, number>;
  outputTokens: number;
  ttft: hdr.Histogram;
  e2e: hdr.Histogram;
}

const histogram = () => hdr.build({ bitBucketSize: "packed", autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 2, useWebAssembly: false });

export class TimeSeries {
  readonly #seconds: Second[] = [];

  add(sample: Sample): void {
    const t = Math.max(0, Math.floor(sample.scheduledAt / 1000));
    let second = this.#seconds[t];
    if (!second) {
      second = { requests: 0, ok: 0, errors: new Map(), outputTokens: 0, ttft: histogram(), e2e: histogram() };
      this.#seconds[t] = second;
    }
    second.requests++;
    second.outputTokens += sample.outputTokens;
    if (sample.ok) {
      second.ok++;
      // Recorded in 0.1 ms units.
      if (sample.ttft !== undefined) second.ttft.recordValue(Math.max(1, Math.round(sample.ttft * 10)));
      second.e2e.recordValue(Math.max(1, Math.round(sample.e2e * 10)));
    } else if (sample.errorClass) second.errors.set(sample.errorClass, (second.errors.get(sample.errorClass) ?? 0) + 1);
  }

  /** Every second from 0 to the last one with a request (seconds with none are all zeros). */
  summarize(): SecondSummary[] {
    const out: SecondSummary[] = [];
    for (let t = 0; t < this.#seconds.length; t++) {
      const s = this.#seconds[t];
      if (!s) {
        out.push({ t, requests: 0, ok: 0, errors: {}, outputTokens: 0, ttftP50: null, ttftP95: null, e2eP95: null });
        continue;
      }
      const at = (h: hdr.Histogram, p: number) => (h.totalCount === 0 ? null : Math.round(h.getValueAtPercentile(p)) / 10);
      out.push({ t, requests: s.requests, ok: s.ok, errors: Object.fromEntries(s.errors), outputTokens: s.outputTokens, ttftP50: at(s.ttft, 50), ttftP95: at(s.ttft, 95), e2eP95: at(s.e2e, 95) });
    }
    return out;
  }
}
