/**
 * Prometheus remote write (1.0) of aire's client-side metrics: cumulative histograms (`_bucket`
 * with `le`, `_sum`, `_count`) per label set, the whole state pushed every interval and once more
 * at the end: a protobuf `WriteRequest` (each series' labels encoded once, only its sample each
 * push), compressed in Snappy's block format by `snappy` (native, napi-rs), the protocol's
 * headers. The generator shares this event loop, so a push must not hold it: the
 * `prometheus-remote-write` package, tried first, converts every request through protobufjs's
 * reflection (10–90 ms per push of 172 series here, and no Content-Encoding); protobufjs's Writer
 * alone took 3.5–5 ms, snappyjs 4 ms; this encoder takes under 1 ms and `snappy` 0.04 ms.
 * Loaded only when a scenario asks.
 * @module
 */
import { HarnessError } from "../../base/errors.js";
import { genAiHistograms, prometheusLabel, type GenAiHistogram } from "./genai-metrics.js";

interface Cumulative {
  metric: GenAiHistogram;
  labels: Record<string, string>;
  /** Per bucket boundary, then +Inf: observations at or below it. */
  counts: number[];
  sum: number;
  count: number;
  /** The labels of each series it writes (`_bucket` per le, then `_sum`, `_count`), made once. */
  series: { __name__: string; [k: string]: string }[];
}

/** The histograms so far, by metric and label set. */
export class CumulativeHistograms {
  readonly #series = new Map<string, Cumulative>();

  record(attributes: Record<string, string>, values: (metric: GenAiHistogram) => { value: number; attributes?: Record<string, string> }[]): void {
    // One key per request (its attributes), then per metric and extra attribute: a request
    // streams a value per chunk, and they share their labels.
    const base = JSON.stringify(attributes);
    for (const metric of genAiHistograms) {
      for (const v of values(metric)) {
        const key = v.attributes ? `${metric.prometheus}|${base}|${JSON.stringify(v.attributes)}` : `${metric.prometheus}|${base}`;
        let c = this.#series.get(key);
        if (!c) {
          const labels: Record<string, string> = {};
          for (const [k, val] of Object.entries({ ...attributes, ...v.attributes })) labels[prometheusLabel(k)] = val;
          const series: Cumulative["series"] = [...metric.buckets.map(String), "+Inf"].map((le) => ({ __name__: `${metric.prometheus}_bucket`, ...labels, le }));
          series.push({ __name__: `${metric.prometheus}_sum`, ...labels }, { __name__: `${metric.prometheus}_count`, ...labels });
          this.#series.set(key, (c = { metric, labels, counts: new Array<number>(metric.buckets.length + 1).fill(0), sum: 0, count: 0, series }));
        }
        for (let i = 0; i < metric.buckets.length; i++) if (v.value <= metric.buckets[i]!) c.counts[i]!++;
        c.counts[metric.buckets.length]!++;
        c.sum += v.value;
        c.count++;
      }
    }
  }

  /** Every series as remote write carries it, all at `timestamp` (Unix ms). */
  timeseries(timestamp: number): { labels: { __name__: string; [k: string]: string }; samples: { value: number; timestamp: number }[] }[] {
    const out: ReturnType<CumulativeHistograms["timeseries"]> = [];
    for (const c of this.#series.values()) {
      const values = [...c.counts, c.sum, c.count];
      c.series.forEach((labels, i) => out.push({ labels, samples: [{ value: values[i]!, timestamp }] }));
    }
    return out;
  }
}

/** A protobuf varint. */
function varint(n: number, out: number[]): void {
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

const utf8 = new TextEncoder();
/** Each series' labels, encoded once: they never change, only its sample does. */
const labelBytes = new WeakMap<object, Uint8Array>();

function encodeLabels(labels: Readonly<Record<string, string>>): Uint8Array {
  const out: number[] = [];
  // Sorted by name, as receivers expect.
  for (const [name, value] of Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const n = utf8.encode(name);
    const v = utf8.encode(value);
    const inner: number[] = [0x0a];
    varint(n.length, inner);
    inner.push(...n, 0x12);
    varint(v.length, inner);
    inner.push(...v);
    out.push(0x0a);
    varint(inner.length, out);
    out.push(...inner);
  }
  return Uint8Array.from(out);
}

/**
 * The WriteRequest of these series, as prometheus/prompb/remote.proto has it: field 1 the
 * timeseries, each with its labels (field 1: name 1, value 2) and its sample (field 2: value 1 a
 * double, timestamp 2 an int64 of Unix ms). Each series' labels are encoded once and kept.
 */
export function encodeWriteRequest(series: ReturnType<CumulativeHistograms["timeseries"]>): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const scratch = new DataView(new ArrayBuffer(8));
  for (const ts of series) {
    let labels = labelBytes.get(ts.labels);
    if (!labels) labelBytes.set(ts.labels, (labels = encodeLabels(ts.labels)));
    const samples: number[] = [];
    for (const sample of ts.samples) {
      const inner: number[] = [0x09];
      scratch.setFloat64(0, sample.value, true);
      for (let i = 0; i < 8; i++) inner.push(scratch.getUint8(i));
      inner.push(0x10);
      varint(sample.timestamp, inner);
      samples.push(0x12);
      varint(inner.length, samples);
      samples.push(...inner);
    }
    const head: number[] = [0x0a];
    varint(labels.length + samples.length, head);
    parts.push(Uint8Array.from(head), labels, Uint8Array.from(samples));
    size += head.length + labels.length + samples.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Pushes the histograms' whole state to `url`; rejects with the receiver's answer when it is not 2xx. */
export async function pushRemoteWrite(url: string, histograms: CumulativeHistograms, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const series = histograms.timeseries(Date.now());
  if (series.length === 0) return 0;
  const { compressSync } = await import("snappy");
  const body = compressSync(Buffer.from(encodeWriteRequest(series).buffer));
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0", "User-Agent": "aire", ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new HarnessError("EXPORT_FAILED", { message: `remote write answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ""}` });
  return series.length;
}

/** Loads the compressor and runs the encoder once, before the traffic: the first push then costs what the others do. */
export async function warmRemoteWrite(): Promise<void> {
  const { compressSync } = await import("snappy");
  compressSync(Buffer.from(encodeWriteRequest([{ labels: { __name__: "aire_warm_up" }, samples: [{ value: 1, timestamp: Date.now() }] }]).buffer));
}
