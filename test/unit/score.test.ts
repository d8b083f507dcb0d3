import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { parseAssertion, type Assertion } from "../../harness/slo/expression.js";
import { Scorer, type HypothesisInput, type HypothesisResult, type Timeline, type WindowSpec } from "../../harness/slo/score.js";

const a = (text: string): Assertion => {
  const parsed = parseAssertion(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};

const sample = (over: Partial<Sample>): Sample => ({
  id: 0, phase: "p", workload: "chat", scheduledAt: 0, dispatchedAt: 0, sentAt: 0, status: 200, ok: true, ttft: 100, e2e: 500, e2eService: 500, outputTokens: 10, tokenSource: "usage", ...over,
});

/** One phase "p" of 10 s, unless a timeline is given. */
const onePhase: Timeline = { phases: [{ name: "p", start: 0, end: 10_000 }], faults: [], end: 10_000 };

function score(expect: string[], samples: Partial<Sample>[], options: { minSamples?: number; window?: WindowSpec; timeline?: Timeline; valid?: boolean } = {}): HypothesisResult {
  const window = options.window ?? { kind: "phase", phase: "p" };
  const h: HypothesisInput = { name: "h", during: window.kind === "phase" ? window.phase : window.kind, window, expect: expect.map(a), minSamples: options.minSamples ?? 20 };
  const scorer = new Scorer([h], options.timeline ?? onePhase);
  for (const s of samples) scorer.add(sample(s));
  return scorer.results(options.valid === false ? { trafficValid: false, invalidReason: "lag" } : { trafficValid: true })[0]!;
}

const many = (n: number, f: (i: number) => Partial<Sample> = () => ({})) => Array.from({ length: n }, (_, i) => f(i));

describe("verdicts on synthetic sample sets", () => {
  test.each([
    // [title, assertions, samples, hypothesis verdict, assertion verdicts]
    ["every assertion holds", ["ttft.p95 < 300ms", "availability >= 99%"], many(400, (i) => ({ ttft: 100 + (i % 100) })), "PASS", ["PASS", "PASS"]],
    ["one assertion breaks", ["availability >= 99%", "error_rate{class=http_5xx} < 1%", "error_rate{class=http_429} < 1%"], many(400, (i) => (i < 20 ? { ok: false, errorClass: "http_5xx" as const } : {})), "FAIL", ["FAIL", "FAIL", "PASS"]],
    // A rate is judged like a percentile, on its 95% (Wilson) interval: at the threshold it is undecided either way.
    ["a rate exactly at the threshold, >=", ["availability >= 98%"], many(50, (i) => (i < 1 ? { ok: false, errorClass: "timeout" as const } : {})), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["a rate exactly at the threshold, >", ["availability > 98%"], many(50, (i) => (i < 1 ? { ok: false, errorClass: "timeout" as const } : {})), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    // 99% needs 381 requests with no failure (n / (n + 1.96²) >= 0.99); the same for an error rate below 1%.
    ["a perfect record of 380 requests cannot show 99%", ["availability >= 99%", "error_rate < 1%"], many(380), "INCONCLUSIVE", ["INCONCLUSIVE", "INCONCLUSIVE"]],
    ["a perfect record of 381 requests shows 99%", ["availability >= 99%", "error_rate < 1%"], many(381), "PASS", ["PASS", "PASS"]],
    ["a rate below the threshold within its interval is undecided, not FAIL", ["availability >= 99%"], many(200, (i) => (i < 3 ? { ok: false, errorClass: "http_5xx" as const } : {})), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["a rate clearly below the threshold FAILs", ["availability >= 99%"], many(200, (i) => (i < 10 ? { ok: false, errorClass: "http_5xx" as const } : {})), "FAIL", ["FAIL"]],
    ["latency exactly at the threshold, <", ["ttft.p50 < 100ms"], many(200, () => ({ ttft: 100 })), "FAIL", ["FAIL"]],
    ["latency exactly at the threshold, <=", ["ttft.p50 <= 100ms"], many(200, () => ({ ttft: 100 })), "PASS", ["PASS"]],
    ["too few samples is never PASS", ["availability >= 80%"], many(19), "INCONCLUSIVE", ["PASS"]],
    ["no samples at all", ["ttft.p95 < 1s"], [], "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["all errors: latency cannot hide behind the absence of answers", ["ttft.p95 < 1s"], many(30, () => ({ ok: false, errorClass: "timeout" as const })), "FAIL", ["FAIL"]],
    ["a latency the successful requests do not carry is not measured: INCONCLUSIVE, not FAIL", ["tpot.p95 < 50ms", "availability >= 90%"], many(50, () => ({ tpot: undefined })), "INCONCLUSIVE", ["INCONCLUSIVE", "PASS"]],
    ["percentiles describe successful answers only", ["ttft.p50 < 101ms", "ttft.p50 > 99ms"], [...many(90, () => ({ ttft: 100 })), ...many(10, () => ({ ok: false, errorClass: "http_5xx" as const, ttft: 5 }))], "PASS", ["PASS", "PASS"]],
    // 100 samples: p95's 95% CI runs from about the 91st to the 100th value.
    ["confidence interval straddles the threshold", ["ttft.p95 < 200ms"], many(100, (i) => ({ ttft: i < 93 ? 100 : 300 })), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["confidence interval wholly above the threshold", ["ttft.p95 < 200ms"], many(100, (i) => ({ ttft: i < 80 ? 100 : 300 })), "FAIL", ["FAIL"]],
    // A stalled stream the gateway cuts ends in seconds; one left hanging until the client gives up ends at its timeout.
    ["e2e_any counts failed requests too: a hang cannot hide among the successes", ["e2e.max < 5s", "e2e_any.max < 5s"], many(100, (i) => (i < 3 ? { ok: false, errorClass: "timeout" as const, e2e: 30_000 } : {})), "FAIL", ["PASS", "FAIL"]],
    ["e2e_any holds when failures end fast", ["e2e_any.max < 5s", "availability >= 90%"], many(100, (i) => (i < 3 ? { ok: false, errorClass: "truncated" as const, e2e: 2_300 } : {})), "PASS", ["PASS", "PASS"]],
    ["too few samples to bound p99 from above", ["ttft.p99 < 1s"], many(100, () => ({ ttft: 100 })), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["enough samples to bound p99", ["ttft.p99 < 1s"], many(500, () => ({ ttft: 100 })), "PASS", ["PASS"]],
    ["goodput counts failures against it", ["goodput(ttft < 150ms, e2e < 1s) >= 90%"], many(100, (i) => (i < 5 ? { ok: false, errorClass: "reset" as const } : i < 20 ? { ttft: 200 } : {})), "FAIL", ["FAIL"]],
    ["goodput holds", ["goodput(ttft < 150ms) >= 90%"], many(400, (i) => (i < 20 ? { ttft: 200 } : {})), "PASS", ["PASS"]],
    ["retry amplification counts every upstream attempt", ["retry_amplification < 1.5"], many(100, (i) => (i % 2 === 0 ? { attempts: 2, clientAttempts: 2, attemptLog: [{ status: 429, errorClass: "http_429" as const, endedAt: 0, retryAfterMs: null, delayMs: 0, attempts: 1 }] } : {})), "FAIL", ["FAIL"]],
    ["cost per 1k requests", ["cost.per_1k_requests < $2", "cost.total <= $0.2"], many(100, () => ({ cost: 0.001 })), "PASS", ["PASS", "PASS"]],
    // Not measured is not zero: results without prices or token counts (k6), a target that does not report its attempts.
    ["cost of unpriced answers is unknown, not $0", ["cost.total < $1"], many(100, (i) => (i === 7 ? { cost: null } : { cost: 0.001 })), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["cost of results without token counts is unknown", ["cost.total < $1"], many(100), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["retry amplification of a target that reports no attempts is unknown", ["retry_amplification < 1.5"], many(100), "INCONCLUSIVE", ["INCONCLUSIVE"]],
    ["throughput of successes over the window's length", ["throughput >= 10/s", "throughput >= 11/s"], many(100), "FAIL", ["PASS", "FAIL"]],
  ] as const)("%s", (_title, expectations, samples, verdict, assertionVerdicts) => {
    const r = score([...expectations], samples as Partial<Sample>[]);
    expect(r.verdict).toBe(verdict);
    expect(r.assertions.map((x) => x.verdict)).toEqual(assertionVerdicts);
  });

  test("each assertion carries the observed value, the threshold, the sample count and a CI", () => {
    const r = score(["ttft.p95 < 300ms", "availability >= 99%"], many(200, (i) => ({ ttft: 100 + (i % 100) })));
    expect(r.samples).toBe(200);
    expect(r.assertions[0]).toMatchObject({ observed: expect.closeTo(194, 0), threshold: 300, unit: "ms", samples: 200, op: "<" });
    const [lo, hi] = r.assertions[0]!.ci!;
    expect(lo).toBeLessThan(194);
    expect(hi).toBeGreaterThan(194);
    expect(r.assertions[1]).toMatchObject({ observed: 1, threshold: 0.99, unit: "ratio" });
    expect(r.assertions[1]!.ci![0]).toBeGreaterThan(0.98);
  });

  test("an undecided rate says what it would take", () => {
    const few = score(["availability >= 99%"], many(200)).assertions[0]!;
    expect(few.note).toBe("the 95% confidence interval [98.12%, 100%] straddles the threshold 99%: 200 requests cannot show it even with every one on the passing side; that takes 381");
    const close = score(["error_rate < 1%"], many(600, (i) => (i < 3 ? { ok: false, errorClass: "timeout" as const } : {}))).assertions[0]!;
    expect(close.verdict).toBe("INCONCLUSIVE");
    expect(close.note).toMatch(/: of 600 requests at most 1 may be on the failing side to show it, and 3 were$/);
  });

  test("an INVALID run (generator behind schedule) is never PASS", () => {
    const r = score(["availability >= 99%"], many(100), { valid: false });
    expect(r.verdict).toBe("INCONCLUSIVE");
    expect(r.reason).toBe("lag");
  });

  test("a filtered assertion needs its own minimum of samples", () => {
    const r = score(["availability{tenant=small} >= 50%"], [...many(100, () => ({ tenant: "big" })), ...many(5, () => ({ tenant: "small" }))]);
    expect(r.verdict).toBe("INCONCLUSIVE");
    expect(r.assertions[0]!.note).toMatch(/5 samples for availability\{tenant=small\}/);
  });

  test("filters by tenant, workload and provider together", () => {
    const samples = [...many(50, () => ({ tenant: "a", provider: "primary", ttft: 100 })), ...many(50, () => ({ tenant: "a", provider: "secondary", ttft: 900 }))];
    const r = score(["ttft.p50{tenant=a, provider=primary} < 200ms", "ttft.p50{tenant=a, provider=secondary} > 800ms"], samples);
    expect(r.assertions.map((x) => x.verdict)).toEqual(["PASS", "PASS"]);
  });
});

describe("windows and relative thresholds", () => {
  // baseline 0–10 s, storm 10–20 s (fault 12–16 s), recovery 20–30 s.
  const timeline: Timeline = {
    phases: [{ name: "baseline", start: 0, end: 10_000 }, { name: "storm", start: 10_000, end: 20_000 }, { name: "recovery", start: 20_000, end: 30_000 }],
    faults: [{ name: "f", start: 12_000, end: 16_000 }],
    end: 30_000,
  };
  const phaseAt = (t: number) => (t < 10_000 ? "baseline" : t < 20_000 ? "storm" : "recovery");
  /** 20 requests/s; ttft 100 ms, 1,000 ms while the fault is on and for `tail` ms after it. */
  const run = (tail: number) => many(600, (i) => {
    const t = i * 50;
    return { scheduledAt: t, phase: phaseAt(t), ttft: t >= 12_000 && t < 16_000 + tail ? 1000 : 100 };
  });

  test("during: fault scores only the requests due while a fault was on", () => {
    const r = score(["ttft.p50 > 900ms"], run(0), { window: { kind: "fault" }, timeline });
    expect(r.samples).toBe(80);
    expect(r.verdict).toBe("PASS");
  });

  test("after: fault + 3s starts 3 s after the last fault was rolled back", () => {
    const r = score(["ttft.max < 200ms"], run(2000), { window: { kind: "after", delayMs: 3000 }, timeline });
    expect(r.samples).toBe(220);
    expect(r.verdict).toBe("PASS");
    expect(score(["ttft.max < 200ms"], run(2000), { window: { kind: "after", delayMs: 1000 }, timeline }).verdict).toBe("FAIL");
  });

  test("a phase leaves out its requests still in flight when another phase's fault began", () => {
    // The last baseline requests (due from 9.5 s, 1 s long) are caught by a fault applied at 10 s.
    const t2: Timeline = { ...timeline, faults: [{ name: "f", start: 10_000, end: 20_000 }] };
    const samples = many(200, (i) => ({ scheduledAt: i * 50, phase: "baseline", e2e: 1000, ttft: i * 50 > 9_000 ? 900 : 100 }));
    const r = score(["ttft.max < 200ms"], samples, { window: { kind: "phase", phase: "baseline" }, timeline: t2 });
    expect(r.excluded).toBe(19);
    expect(r.samples).toBe(181);
    expect(r.verdict).toBe("PASS");
  });

  test("a fault window with no fault applied is INCONCLUSIVE", () => {
    const r = score(["ttft.p50 < 1s"], run(0), { window: { kind: "fault" }, timeline: { ...timeline, faults: [] } });
    expect(r.verdict).toBe("INCONCLUSIVE");
    expect(r.reason).toMatch(/no fault/);
  });

  test("a relative threshold compares with the baseline phase", () => {
    const r = score(["ttft.p50 <= 1.2 * baseline", "ttft.p95 <= 2 * baseline"], run(0), { window: { kind: "phase", phase: "storm" }, timeline });
    expect(r.assertions[0]).toMatchObject({ verdict: "PASS", threshold: 120, baseline: { value: 100, factor: 1.2, window: "baseline" } });
    expect(r.assertions[1]).toMatchObject({ verdict: "FAIL", threshold: 200 });
  });

  test("recovery_time: how long after the last fault until the condition holds for good", () => {
    const pass = score(["recovery_time(ttft.p95 <= 1.2 * baseline) < 10s"], run(3000), { window: { kind: "phase", phase: "recovery" }, timeline });
    expect(pass.assertions[0]!.verdict).toBe("PASS");
    // Slow until 3 s after the fault; a 5-s sliding window clears at 3 s + 5 s.
    expect(pass.assertions[0]!.observed).toBe(8000);
    const fail = score(["recovery_time(ttft.p95 <= 1.2 * baseline) < 5s"], run(3000), { window: { kind: "phase", phase: "recovery" }, timeline });
    expect(fail.assertions[0]!.verdict).toBe("FAIL");
    const never = score(["recovery_time(ttft.p95 <= 1.2 * baseline, window: 2s) < 60s"], run(60_000), { window: { kind: "phase", phase: "recovery" }, timeline });
    expect(never.assertions[0]).toMatchObject({ verdict: "FAIL", observed: null });
    expect(never.assertions[0]!.note).toMatch(/did not hold/);
  });

  test("time_to_detect: the first breach of the hypothesis's SLOs after the fault started", () => {
    const r = score(["ttft.p95 < 500ms", "time_to_detect < 3s"], run(0), { window: { kind: "run" }, timeline });
    expect(r.assertions[1]).toMatchObject({ verdict: "PASS", observed: 1000 });
    const explicit = score(["time_to_detect(ttft.p50 > 500ms, window: 2s) < 3s"], run(0), { window: { kind: "run" }, timeline });
    // Windows never reach back before the fault started: the first second is all slow.
    expect(explicit.assertions[0]).toMatchObject({ verdict: "PASS", observed: 1000 });
    const unnoticed = score(["ttft.p95 < 5s", "time_to_detect < 3s"], run(0), { window: { kind: "run" }, timeline });
    expect(unnoticed.assertions[1]).toMatchObject({ verdict: "FAIL", observed: null });
  });

  test("burn rate: the worst sliding window's error rate over the error budget", () => {
    const samples = many(600, (i) => ({ scheduledAt: i * 50, phase: phaseAt(i * 50), ...(i * 50 >= 12_000 && i * 50 < 13_000 ? { ok: false, errorClass: "http_5xx" as const } : {}) }));
    // 20 failures in 30 s over a 0.1% budget: a burn rate of 20/600/0.001 = 33.3.
    const r = score(["burn_rate(slo: 99.9%, window: 5m) < 14.4"], samples, { window: { kind: "run" }, timeline });
    expect(r.assertions[0]).toMatchObject({ verdict: "FAIL", observed: expect.closeTo(33.3, 1) });
    // Over 10-s windows the worst one holds all 20 failures in 200 requests: 100.
    const short = score(["burn_rate(slo: 99.9%, window: 10s) < 14.4"], samples, { window: { kind: "run" }, timeline });
    expect(short.assertions[0]).toMatchObject({ verdict: "FAIL", observed: 100, samples: 200 });
  });
});
