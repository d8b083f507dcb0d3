import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { WindowStats } from "../../harness/metrics/window-stats.js";
import { parseAssertion, type Assertion } from "../../harness/slo/expression.js";
import { scoreHypotheses } from "../../harness/slo/evaluate.js";

const a = (text: string): Assertion => {
  const parsed = parseAssertion(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};

const sample = (over: Partial<Sample>): Sample => ({
  id: 0, phase: "p", workload: "chat", scheduledAt: 0, dispatchedAt: 0, sentAt: 0, status: 200, ok: true, ttft: 100, e2e: 500, e2eService: 500, outputTokens: 10, tokenSource: "usage", ...over,
});

function window(samples: Partial<Sample>[]): Map<string, WindowStats> {
  const stats = new WindowStats();
  for (const s of samples) stats.add(sample(s));
  return new Map([["p", stats]]);
}

const hypothesis = (expect: string[], minSamples = 20) => ({ name: "h", during: "p", expect: expect.map(a), minSamples });
const valid = { trafficValid: true };

describe("verdicts", () => {
  test("PASS when every assertion holds, with the observed values", () => {
    const samples = Array.from({ length: 100 }, (_, i) => ({ ttft: 100 + i }));
    const [r] = scoreHypotheses([hypothesis(["ttft.p95 < 300ms", "availability >= 99%"])], window(samples), valid);
    expect(r!.verdict).toBe("PASS");
    expect(r!.samples).toBe(100);
    expect(r!.assertions[0]!.observed).toBeCloseTo(194, 0);
    expect(r!.assertions[1]!.observed).toBe(1);
  });

  test("FAIL when one assertion breaks", () => {
    const samples = Array.from({ length: 100 }, (_, i) => (i < 5 ? { ok: false, errorClass: "http_5xx" as const } : {}));
    const [r] = scoreHypotheses([hypothesis(["ttft.p95 < 300ms", "availability >= 99%", "error_rate{class=http_5xx} < 1%", "error_rate{class=http_429} < 1%"])], window(samples), valid);
    expect(r!.verdict).toBe("FAIL");
    expect(r!.assertions.map((x) => x.verdict)).toEqual(["PASS", "FAIL", "FAIL", "PASS"]);
    expect(r!.assertions[1]!.observed).toBe(0.95);
  });

  test("a threshold exactly met follows the operator", () => {
    const samples = Array.from({ length: 50 }, (_, i) => (i < 1 ? { ok: false, errorClass: "timeout" as const } : {}));
    const [r] = scoreHypotheses([hypothesis(["availability >= 98%", "availability > 98%"])], window(samples), valid);
    expect(r!.assertions.map((x) => x.verdict)).toEqual(["PASS", "FAIL"]);
  });

  test("INCONCLUSIVE with too few samples, never PASS", () => {
    const [r] = scoreHypotheses([hypothesis(["availability >= 99%"], 20)], window(Array.from({ length: 19 }, () => ({}))), valid);
    expect(r!.verdict).toBe("INCONCLUSIVE");
    expect(r!.reason).toMatch(/19 samples/);
  });

  test("INCONCLUSIVE with no samples at all", () => {
    const [r] = scoreHypotheses([hypothesis(["ttft.p95 < 1s"])], new Map(), valid);
    expect(r!.verdict).toBe("INCONCLUSIVE");
  });

  test("all errors: latency cannot hide behind the absence of answers", () => {
    const [r] = scoreHypotheses([hypothesis(["ttft.p95 < 1s"])], window(Array.from({ length: 30 }, () => ({ ok: false, errorClass: "timeout" as const }))), valid);
    expect(r!.verdict).toBe("FAIL");
    expect(r!.assertions[0]!.note).toMatch(/no successful request/);
  });

  test("an INVALID run (generator behind schedule) is never PASS", () => {
    const [r] = scoreHypotheses([hypothesis(["availability >= 99%"])], window(Array.from({ length: 100 }, () => ({}))), { trafficValid: false, invalidReason: "lag" });
    expect(r!.verdict).toBe("INCONCLUSIVE");
    expect(r!.reason).toBe("lag");
  });

  test("latency percentiles describe successful answers only", () => {
    const samples = [...Array.from({ length: 90 }, () => ({ ttft: 100 })), ...Array.from({ length: 10 }, () => ({ ok: false, errorClass: "http_5xx" as const, ttft: 5 }))];
    const [r] = scoreHypotheses([hypothesis(["ttft.p50 < 101ms", "ttft.p50 > 99ms"])], window(samples), valid);
    expect(r!.verdict).toBe("PASS");
  });
});
