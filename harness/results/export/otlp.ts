/**
 * OTLP/HTTP export of aire's client-side metrics through the OpenTelemetry JS SDK: a MeterProvider
 * with a periodic reader and the OTLP/HTTP exporter (JSON), the GenAI histograms with their
 * advised bucket boundaries, cumulative temporality. Loaded only when a scenario asks for it.
 * @module
 */
import { genAiHistograms } from "./genai-metrics.js";
import type { Sample } from "../../metrics/sample.js";

export interface OtlpExport {
  record(sample: Sample, attributes: Record<string, string>): void;
  /** Exports what is pending and stops. */
  close(): Promise<void>;
}

/** Starts the SDK; `onError` hears each failed export (the run goes on). */
export async function startOtlp(url: string, headers: Record<string, string>, intervalMs: number, resource: Record<string, string>, onError: (message: string) => void, onSent: () => void): Promise<OtlpExport> {
  const [{ MeterProvider, PeriodicExportingMetricReader }, { OTLPMetricExporter }, { resourceFromAttributes }] = await Promise.all([import("@opentelemetry/sdk-metrics"), import("@opentelemetry/exporter-metrics-otlp-http"), import("@opentelemetry/resources")]);
  const exporter = new OTLPMetricExporter({ url, headers, timeoutMillis: Math.min(intervalMs, 10_000) });
  // The exporter reports a failed export to its callback; the reader drops it. Hear it.
  const exportOnce = exporter.export.bind(exporter);
  exporter.export = (metrics, done) =>
    exportOnce(metrics, (result) => {
      if (result.code !== 0) onError(`OTLP export to ${url} failed: ${result.error?.message ?? "unknown error"}`);
      else onSent();
      done(result);
    });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMs, exportTimeoutMillis: Math.min(intervalMs, 10_000) });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ "service.name": "aire", ...resource }), readers: [reader] });
  const meter = provider.getMeter("aire");
  const instruments = genAiHistograms.map((m) => ({ m, h: meter.createHistogram(m.name, { unit: m.unit, description: m.description, advice: { explicitBucketBoundaries: [...m.buckets] } }) }));
  return {
    record(sample, attributes) {
      for (const { m, h } of instruments) for (const v of m.values(sample)) h.record(v.value, v.attributes ? { ...attributes, ...v.attributes } : attributes);
    },
    async close() {
      await provider.forceFlush().catch((err: unknown) => onError(`OTLP export to ${url} failed: ${(err as Error).message}`));
      await provider.shutdown().catch(() => {});
    },
  };
}
