/**
 * The Prometheus text format as a real exporter writes it (prom-client, which the reference stack
 * uses, as vLLM's and Toxiproxy's exporters write the same format), read back sample by sample.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe, expect, test } from "vitest";
import { parseExposition, seriesKey } from "../../harness/metrics/exposition.js";

describe("Prometheus text exposition", () => {
  test("every sample prom-client writes is read back with its labels, value and family type", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "aire_test_requests_total", help: "Requests.", labelNames: ["status", "path"], registers: [registry] });
    counter.inc({ status: "200", path: '/v1/"chat"\\completions\nnext' }, 3);
    counter.inc({ status: "503", path: "/" });
    new Gauge({ name: "vllm:num_requests_waiting", help: "Waiting.", labelNames: ["model_name"], registers: [registry] }).set({ model_name: "sim-large" }, 7);
    const histogram = new Histogram({ name: "aire_test_seconds", help: "Latency.", buckets: [0.1, 1], registers: [registry] });
    histogram.observe(0.05);
    histogram.observe(5);
    const parsed = parseExposition(await registry.metrics());
    const expected = (await registry.getMetricsAsJSON()).flatMap((family) =>
      family.values.map((v) => ({ name: (v as { metricName?: string }).metricName ?? family.name, labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])), value: v.value, type: family.type })),
    );
    expect(parsed).toEqual(expected);
    expect(parsed.find((s) => s.labels.path?.startsWith("/v1"))!.labels.path).toBe('/v1/"chat"\\completions\nnext');
    expect(parsed.find((s) => s.name === "aire_test_seconds_bucket" && s.labels.le === "+Inf")).toMatchObject({ value: 2, type: "histogram" });
  });

  test("values NaN, ±Inf and a timestamp; comments; a filter that skips a series before its labels are read", () => {
    const text = ["# HELP x a gauge", "# TYPE x gauge", "x NaN", 'y{a="1"} +Inf 1712345678000', "z -Inf", "", "untyped_metric 4.5e3"].join("\n");
    const all = parseExposition(text);
    expect(all.map((s) => [s.name, s.value, s.type])).toEqual([["x", Number.NaN, "gauge"], ["y", Number.POSITIVE_INFINITY, "untyped"], ["z", Number.NEGATIVE_INFINITY, "untyped"], ["untyped_metric", 4500, "untyped"]]);
    // A kept name only: the broken labels of the skipped series are never read.
    expect(parseExposition(`broken{a="1 2\nx 1`, (name) => name === "x")).toEqual([{ name: "x", labels: {}, value: 1, type: "untyped" }]);
  });

  test("a line that is not a sample is an error naming its line", () => {
    expect(() => parseExposition("ok 1\nbad{a=1} 2")).toThrow(/^line 2: label a: =" expected/);
    expect(() => parseExposition("ok one")).toThrow(/^line 1: not a sample value: "one"/);
    expect(() => parseExposition('x{a="open} 1')).toThrow(/^line 1: label a: its value is not closed/);
  });

  test("series keys: labels sorted and escaped as Prometheus prints them", () => {
    expect(seriesKey("m", {})).toBe("m");
    expect(seriesKey("m", { provider: "primary", kind: 'say "hi"' })).toBe('m{kind="say \\"hi\\"",provider="primary"}');
  });
});
