/**
 * What the game-day console shows of a run while it goes: the second-by-second series
 * (results/live-series.ts) and each hypothesis's live standing (slo/live-standing.ts), on
 * synthetic samples whose every figure is known.
 */
import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { LiveSeries } from "../../harness/results/live-series.js";
import { parseAssertion } from "../../harness/slo/expression.js";
import { LiveStanding, type LiveTimeline } from "../../harness/slo/live-standing.js";
import type { HypothesisInput, WindowSpec } from "../../harness/slo/score.js";
import { headline } from "../../harness/orchestrator/live-watch.js";

const sample = (over: Partial<Sample>): Sample => ({
  id: 0, phase: "baseline", workload: "chat", scheduledAt: 0, dispatchedAt: 0, sentAt: 0, status: 200, ok: true, ttft: 100, e2e: 500, e2eService: 500, outputTokens: 10, tokenSource: "usage", ...over,
});

describe("LiveSeries", () => {
  test("each second: sent by sentAt, answered and succeeded by end, TTFT, failures by class, providers, tokens, cost, lag", () => {
    const s = new LiveSeries();
    // Second 0: 10 requests due and sent, each ending 500 ms later (second 0 or 1); 2 of them fail by timeout.
    for (let i = 0; i < 10; i++) s.add(sample({ scheduledAt: i * 100, dispatchedAt: i * 100 + (i === 9 ? 40 : 1), sentAt: i * 100 + 2, e2e: 500, ttft: 100 + i * 10, provider: i % 2 ? "a" : "b", cost: 0.001, ...(i < 2 ? { ok: false, errorClass: "timeout" as const, ttft: undefined } : {}) }));
    const [p0, p1] = s.recent(2000);
    expect(p0).toMatchObject({ t: 0, sent: 10, done: 5, ok: 3, errors: { timeout: 2 }, providers: { a: 2, b: 3 }, tokens: 50, cost: 0.005 });
    expect(p1).toMatchObject({ t: 1, sent: 0, done: 5, ok: 5, errors: {}, tokens: 50 });
    // Successes ending in second 1 are i = 5..9: TTFT 150..190.
    expect(p1!.ttftP50).toBeCloseTo(170, 0);
    expect(p1!.ttftP95).toBeCloseTo(190, 0);
    expect(p0!.lagP99).toBeCloseTo(40, 0);
    expect(s.lag()).toMatchObject({ max: 40, requests: 10 });
    // The current second is not over: not shown.
    expect(s.recent(1999).map((p) => p.t)).toEqual([0]);
  });

  test("seconds older than the revision span are frozen: kept in all(), no longer revised", () => {
    const s = new LiveSeries(2);
    s.add(sample({ scheduledAt: 0, sentAt: 0, e2e: 100 }));
    expect(s.recent(10_000).map((p) => p.t)).toEqual([8, 9]);
    expect(s.all(10_000).map((p) => p.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A late answer for second 0 (sent then, ended now) no longer changes it.
    s.add(sample({ scheduledAt: 0, sentAt: 0, e2e: 9_500 }));
    const all = s.all(10_000);
    expect(all[0]).toMatchObject({ sent: 1, done: 1 });
    expect(all[9]).toMatchObject({ done: 1 });
  });
});

const a = (text: string) => {
  const parsed = parseAssertion(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};
const hypothesis = (during: string, window: WindowSpec, expect: string[], minSamples = 20): HypothesisInput => ({ name: `h ${during}`, during, window, expect: expect.map(a), minSamples });
const phases = [{ name: "baseline", start: 0, end: 10_000 }, { name: "fault", start: 10_000, end: 20_000 }];

describe("LiveStanding", () => {
  test("a phase's hypothesis: waiting before it, on track, at risk near the threshold, failing past it", () => {
    const standing = new LiveStanding([hypothesis("fault", { kind: "phase", phase: "fault" }, ["ttft.p95 < 500ms"])], "baseline");
    const at = (now: number): LiveTimeline => ({ phases, faults: [], now });
    expect(standing.standings(at(5000))[0]).toMatchObject({ standing: "waiting", samples: 0 });
    for (let i = 0; i < 200; i++) standing.add(sample({ phase: "fault", scheduledAt: 10_000 + i * 10, ttft: 100 }), []);
    expect(standing.standings(at(12_000))[0]).toMatchObject({ standing: "on track", samples: 200, assertions: [{ standing: "on track", observed: 100, threshold: 500, unit: "ms" }] });
    const risky = new LiveStanding([hypothesis("fault", { kind: "phase", phase: "fault" }, ["ttft.p95 < 500ms"])], "baseline");
    for (let i = 0; i < 200; i++) risky.add(sample({ phase: "fault", scheduledAt: 10_000 + i * 10, ttft: 470 }), []);
    expect(risky.standings(at(12_000))[0]).toMatchObject({ standing: "at risk", assertions: [{ note: "within 10% of the threshold" }] });
    for (let i = 0; i < 400; i++) risky.add(sample({ phase: "fault", scheduledAt: 12_000 + i * 10, ttft: 900 }), []);
    const failing = risky.standings(at(17_000))[0]!;
    expect(failing).toMatchObject({ standing: "failing", assertions: [{ standing: "failing" }] });
    expect(failing.assertions[0]!.observed).toBeCloseTo(900, -1);
  });

  test("too few requests yet is at risk, not on track; a rate whose interval straddles the threshold is at risk", () => {
    const h = new LiveStanding([hypothesis("baseline", { kind: "phase", phase: "baseline" }, ["availability >= 90%"])], "baseline");
    for (let i = 0; i < 5; i++) h.add(sample({ scheduledAt: i * 100 }), []);
    expect(h.standings({ phases, faults: [], now: 1000 })[0]).toMatchObject({ standing: "at risk", samples: 5, minSamples: 20 });
  });

  test("the fault window holds the requests due while a fault was in place; after a fault counts from the last one's end and starts over with the next", () => {
    const h = new LiveStanding([hypothesis("fault", { kind: "fault" }, ["error_rate < 20%"]), hypothesis("after fault + 2s", { kind: "after", delayMs: 2000 }, ["availability >= 50%"])], "baseline");
    const at = (faults: { start: number; end: number | null }[], now: number) => h.standings({ phases, faults, now });
    // Each sample arrives 100 ms after it was due, with the faults as known then: one from 3 s to 6 s, all failing during it.
    const feed = (from: number, to: number, faults: (t: number) => { start: number; end: number | null }[], failing: (t: number) => boolean) => {
      for (let t = from; t < to; t += 20) h.add(sample({ scheduledAt: t, ...(failing(t) ? { ok: false, errorClass: "http_5xx" as const } : {}) }), faults(t + 100));
    };
    const first = (t: number) => (t < 3000 ? [] : [{ start: 3000, end: t < 6000 ? null : 6000 }]);
    feed(0, 3000, first, () => false);
    expect(at([], 3000).map((s) => s.standing)).toEqual(["waiting", "waiting"]);
    feed(3000, 5000, first, () => true);
    expect(at([{ start: 3000, end: null }], 5000).map((s) => s.standing)).toEqual(["failing", "waiting"]);
    feed(5000, 10_000, first, (t) => t < 6000);
    const later = at([{ start: 3000, end: 6000 }], 10_000);
    expect(later.map((s) => s.standing)).toEqual(["failing", "on track"]);
    // Due in the fault: 3 s to 6 s (150 requests); after it + 2 s: 8 s to 10 s (100), all answered.
    expect(later.map((s) => s.samples)).toEqual([150, 100]);
    expect(later[1]!.assertions[0]!.observed).toBe(1);
    // A second fault: the after window waits for its end and counts from there.
    const second = (t: number) => [{ start: 3000, end: 6000 }, { start: 10_000, end: t < 12_000 ? null : 12_000 }];
    feed(10_000, 15_000, second, () => false);
    const end = at(second(15_000), 15_000);
    expect(end[1]).toMatchObject({ standing: "on track", samples: 50 });
    expect(end[0]!.samples).toBe(250);
  });

  test("a threshold relative to the baseline uses the baseline so far; time-based assertions wait for the end", () => {
    const h = new LiveStanding([hypothesis("fault", { kind: "phase", phase: "fault" }, ["ttft.p50 < 2 * baseline", "recovery_time(availability >= 99%) < 10s"])], "baseline");
    for (let i = 0; i < 100; i++) h.add(sample({ scheduledAt: i * 50, ttft: 100 }), []);
    for (let i = 0; i < 100; i++) h.add(sample({ phase: "fault", scheduledAt: 10_000 + i * 50, ttft: 150 }), []);
    const [s] = h.standings({ phases, faults: [], now: 16_000 });
    expect(s!.assertions.map((x) => [x.standing, x.threshold])).toEqual([["on track", 200], ["at the end", 10_000]]);
    expect(s!.standing).toBe("on track");
  });
});

test("a component's headline: breakers, in flight, queued, pods", () => {
  expect(headline({ 'aire_gateway_breaker_state{provider="primary"}': 2, 'aire_gateway_breaker_state{provider="backup"}': 0, aire_gateway_in_flight: 7, aire_gateway_queued: 1 })).toBe("primary open · in flight 7 · queued 1");
  expect(headline({ 'aire_gateway_breaker_state{provider="primary"}': 0 })).toBe("breakers closed");
  expect(headline({ "vllm:num_requests_running": 3, "vllm:num_requests_waiting": 0, aire_provider_pods_ready: 2 })).toBe("running 3 · waiting 0 · pods ready 2");
});
