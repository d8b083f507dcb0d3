import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { TimeSeries } from "../../harness/metrics/time-series.js";
import { WindowStats } from "../../harness/metrics/window-stats.js";
import { Pricing } from "../../harness/traffic/cost.js";

const sample = (over: Partial<Sample>): Sample => ({ id: 0, phase: "p", workload: "w", scheduledAt: 0, dispatchedAt: 0, sentAt: 0, status: 200, ok: true, e2e: 100, e2eService: 100, outputTokens: 10, tokenSource: "usage", ...over });

describe("1-second time series", () => {
  test("counts each request in the second it was due; empty seconds are zeros; per-second percentiles", () => {
    const series = new TimeSeries();
    for (let i = 0; i < 100; i++) series.add(sample({ scheduledAt: 10 * i, ttft: i + 1 }));
    series.add(sample({ scheduledAt: 2500, ok: false, status: 503, errorClass: "http_5xx", outputTokens: 0 }));
    const s = series.summarize();
    expect(s).toHaveLength(3);
    expect(s[0]).toMatchObject({ t: 0, requests: 100, ok: 100, outputTokens: 1000, errors: {} });
    expect(s[0]!.ttftP50).toBeCloseTo(50, 0);
    expect(s[0]!.ttftP95).toBeCloseTo(95, 0);
    expect(s[1]).toEqual({ t: 1, requests: 0, ok: 0, errors: {}, outputTokens: 0, ttftP50: null, ttftP95: null, e2eP95: null });
    expect(s[2]).toMatchObject({ t: 2, requests: 1, ok: 0, errors: { http_5xx: 1 }, ttftP50: null });
  });
});

describe("cost", () => {
  const pricing = new Pricing({ big: { input: 3, output: 15 }, "aire-chat": { input: 1, output: 2 } }, "aire-chat");

  test("tokens are priced per million by the answering model, else the requested one; errors cost nothing; unknown models are unpriced", () => {
    expect(pricing.cost(sample({ model: "big", promptTokens: 1000, outputTokens: 100 }))).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6, 12);
    expect(pricing.cost(sample({ model: "other", promptTokens: 1000, outputTokens: 100 }))).toBeCloseTo((1000 + 200) / 1e6, 12);
    expect(pricing.cost(sample({ status: 429, ok: false, model: "big", promptTokens: 1000 }))).toBe(0);
    expect(new Pricing({ big: { input: 1, output: 1 } }, "x").cost(sample({ model: "small" }))).toBeUndefined();
  });

  test("a window adds up cost and counts unpriced answers and client attempts", () => {
    const w = new WindowStats();
    w.add(sample({ cost: 0.002, clientAttempts: 3 }));
    w.add(sample({ cost: null }));
    w.add(sample({ cost: 0.001, abandoned: true, ok: false, errorClass: "timeout" }));
    expect(w.cost).toBeCloseTo(0.003, 12);
    expect(w.unpriced).toBe(1);
    expect(w.clientAttempts).toBe(5);
    expect(w.abandoned).toBe(1);
  });
});
