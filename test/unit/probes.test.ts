/** Probes in the assertion language (issue 21): parsing, selectors, and verdicts on readings. */
import { describe, expect, test } from "vitest";
import { matchesSelector, parseSelector } from "../../harness/metrics/exposition.js";
import type { ProbeReading } from "../../harness/metrics/probe-reading.js";
import { describeMeasure, parseAssertion, type Assertion } from "../../harness/slo/expression.js";
import { Scorer, type HypothesisInput, type HypothesisResult, type Timeline, type WindowSpec } from "../../harness/slo/score.js";

const a = (text: string): Assertion => {
  const parsed = parseAssertion(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};

describe("probe assertions parse", () => {
  test.each([
    ["probe.ready == 1", "probe.ready", "measure"],
    ["probe.breaker{provider=primary} >= 1", "probe.breaker{provider=primary}", "measure"],
    ['probe.latency_bucket{le="0.5", job=gw} > 0', "probe.latency_bucket{le=0.5, job=gw}", "measure"],
    ["max(probe.queue_depth) < 100", "max(probe.queue_depth)", "measure"],
    ["increase(probe.gateway_429_total) == 0", "increase(probe.gateway_429_total)", "measure"],
    ["probe.breaker{provider=primary} >= 1 within 5s of fault start", "probe.breaker{provider=primary}", "time_to_detect"],
    ["time_to_detect(probe.breaker >= 1) < 5s", "probe.breaker", "time_to_detect"],
    ["recovery_time(probe.breaker == 0) < 30s", "probe.breaker", "recovery_time"],
  ])("%s", (text, measure, kind) => {
    const parsed = a(text);
    expect(parsed.kind).toBe(kind);
    const m = parsed.kind === "measure" ? parsed.measure : parsed.condition!.measure;
    expect(describeMeasure(m)).toBe(measure);
  });

  test("within … of fault start is time_to_detect with <=", () => {
    const parsed = a("probe.breaker >= 1 within 5s of fault start");
    expect(parsed).toMatchObject({ kind: "time_to_detect", op: "<=", threshold: { kind: "value", value: 5000 }, condition: { op: ">=", threshold: { value: 1 } } });
  });

  test.each([
    ["probe == 1", /probe's name/],
    ["probe.ready == 1ms", /plain number/],
    ["probe.ready <= 1.2 * baseline", /not with the baseline/],
    ["max(ttft) < 1", /max\(probe.<name>\)/],
    ["probe.x{a=1, a=2} > 0", /given twice/],
    ['probe.x{a="open} > 0', /not closed/],
    ["probe.x > 1 within 5s of fault end", /within <duration> of fault start/],
  ])("refused: %s", (text, message) => {
    const parsed = parseAssertion(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.message).toMatch(message);
  });
});

describe("series selectors", () => {
  test("name and matchers, as PromQL writes them", () => {
    const s = parseSelector('aire_gateway_breaker_state{provider="primary", state!="closed", pod=~"p-[0-9]+", zone!~"eu.*"}');
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    const series = (labels: Record<string, string>) => ({ name: "aire_gateway_breaker_state", labels });
    expect(matchesSelector(series({ provider: "primary", state: "open", pod: "p-1", zone: "us" }), s.value)).toBe(true);
    expect(matchesSelector(series({ provider: "primary", state: "closed", pod: "p-1", zone: "us" }), s.value)).toBe(false);
    // Regular expressions are anchored at both ends, as in PromQL.
    expect(matchesSelector(series({ provider: "primary", state: "open", pod: "xp-1", zone: "us" }), s.value)).toBe(false);
    expect(matchesSelector(series({ provider: "primary", state: "open", pod: "p-1", zone: "eu-west" }), s.value)).toBe(false);
    expect(matchesSelector({ name: "other", labels: { provider: "primary" } }, s.value)).toBe(false);
  });

  test.each([
    ["{a=\"1\"}", /starts with a metric name/],
    ['m{a="1"', /not closed|label name expected/],
    ["m{a=1}", /double quotes/],
    ['m{a=~"("}', /not a regular expression/],
    ['m{a="1"} x', /unexpected/],
  ])("refused: %s", (text, message) => {
    const s = parseSelector(text);
    expect(s.ok).toBe(false);
    expect(s.ok ? "" : s.message).toMatch(message);
  });
});

// Two phases: calm [0, 10 s), faulted [10 s, 20 s) with a fault from 10 s to 18 s.
const timeline: Timeline = { phases: [{ name: "calm", start: 0, end: 10_000 }, { name: "faulted", start: 10_000, end: 20_000 }], faults: [{ name: "f", start: 10_000, end: 18_000 }], end: 20_000 };

const during = (probe: string, t: number, value: number | null, labels: Record<string, string> = {}): ProbeReading => ({ probe, t, moment: "during", series: value === null ? [] : [{ labels, value }] });

function score(expect: string[], readings: ProbeReading[], window: WindowSpec = { kind: "run" }): HypothesisResult {
  const h: HypothesisInput = { name: "h", during: window.kind === "phase" ? window.phase : window.kind, window, expect: expect.map(a), minSamples: 20 };
  const scorer = new Scorer([h], timeline);
  for (const r of readings) scorer.addReading(r);
  return scorer.results({ trafficValid: true })[0]!;
}

describe("verdicts on readings", () => {
  const breaker = Array.from({ length: 20 }, (_, s) => during("breaker", s * 1000 + 500, s >= 12 && s < 19 ? 1 : 0, { provider: "primary" }));

  test("every reading must hold; a hypothesis of probes alone needs no requests", () => {
    const h = score(["probe.breaker{provider=primary} == 0"], breaker, { kind: "phase", phase: "calm" });
    expect(h).toMatchObject({ verdict: "PASS", samples: 0 });
    expect(h.assertions[0]).toMatchObject({ verdict: "PASS", observed: 0, samples: 10 });
    const f = score(["probe.breaker{provider=primary} == 0"], breaker, { kind: "phase", phase: "faulted" });
    expect(f.verdict).toBe("FAIL");
    expect(f.assertions[0]!.note).toMatch(/^1 at 12\.5s \(phase faulted\); 7 of 10 readings did not hold/);
  });

  test("aggregates over the window's readings", () => {
    expect(score(["max(probe.breaker) >= 1"], breaker, { kind: "fault" }).assertions[0]).toMatchObject({ verdict: "PASS", observed: 1 });
    expect(score(["avg(probe.breaker) < 0.5"], breaker).assertions[0]).toMatchObject({ verdict: "PASS", observed: 0.35 });
    expect(score(["last(probe.breaker) == 0", "first(probe.breaker) == 0", "min(probe.breaker) == 0"], breaker).verdict).toBe("PASS");
  });

  test("a label filter that selects nothing is no value, not zero", () => {
    const h = score(["probe.breaker{provider=secondary} == 0"], breaker);
    expect(h.verdict).toBe("INCONCLUSIVE");
    expect(h.assertions[0]!.note).toMatch(/no series matching \{provider=secondary\} in 20 readings/);
  });

  test("increase: a counter's rise, across a reset and from its first appearance", () => {
    const counter = [null, null, 3, 5, 5, 2, 4].map((v, i) => during("c", i * 1000, v));
    // Appears at 3 (from 0), +2, +0, reset to 2 (+2), +2: 9.
    expect(score(["increase(probe.c) == 9"], counter).assertions[0]).toMatchObject({ verdict: "PASS", observed: 9 });
    const steady = [7, 7, 7].map((v, i) => during("c", i * 1000, v));
    expect(score(["increase(probe.c) == 0"], steady).assertions[0]).toMatchObject({ verdict: "PASS", observed: 0 });
  });

  test("a probe that could not be read is INCONCLUSIVE with the reason, never FAIL", () => {
    const readings = [during("ready", 1000, 1), { probe: "ready", t: 2000, moment: "during" as const, error: "connect ECONNREFUSED 127.0.0.1:9" }];
    const h = score(["probe.ready == 1"], readings);
    expect(h.verdict).toBe("INCONCLUSIVE");
    expect(h.reason).toBe("probe ready could not be read 1 of 2 times: connect ECONNREFUSED 127.0.0.1:9 (probe.ready == 1)");
    // Even when another reading alone would have failed it: the verdict waits for every answer.
    const worse = [during("ready", 1000, 0), { probe: "ready", t: 2000, moment: "during" as const, error: "timeout" }];
    expect(score(["probe.ready == 1"], worse).verdict).toBe("INCONCLUSIVE");
  });

  test("readings before and after the traffic belong to every window", () => {
    const readings: ProbeReading[] = [{ probe: "ready", t: -500, moment: "before", series: [{ labels: {}, value: 1 }] }, { probe: "ready", t: 21_000, moment: "after", series: [{ labels: {}, value: 0 }], failed: "status 503, expected 200" }];
    const h = score(["probe.ready == 1"], readings, { kind: "phase", phase: "calm" });
    expect(h.verdict).toBe("FAIL");
    expect(h.assertions[0]!.note).toMatch(/^0 at the reading after the traffic; 1 of 2 readings did not hold \(status 503, expected 200\)/);
  });

  test("time to detect: from the fault's start to the first reading that holds", () => {
    const h = score(["probe.breaker{provider=primary} >= 1 within 5s of fault start"], breaker);
    expect(h.assertions[0]).toMatchObject({ verdict: "PASS", observed: 2500 });
    expect(score(["time_to_detect(probe.breaker >= 1) < 2s"], breaker).assertions[0]).toMatchObject({ verdict: "FAIL", observed: 2500 });
    // Never held: the system did not notice.
    const quiet = breaker.map((r) => during("breaker", r.t, 0));
    expect(score(["time_to_detect(probe.breaker >= 1) < 5s"], quiet).assertions[0]!.note).toMatch(/never held in 10 readings after the first fault started: the system did not notice/);
    // A series that never appears is not "did not notice": the selector may name nothing.
    const absent = breaker.map((r) => during("breaker", r.t, null));
    expect(score(["time_to_detect(probe.breaker >= 1) < 5s"], absent).assertions[0]).toMatchObject({ verdict: "INCONCLUSIVE", note: "no series in 10 readings of probe breaker after the first fault started" });
    // Held before the fault: nothing was detected.
    const early = breaker.map((r) => during("breaker", r.t, r.t > 8000 ? 1 : 0));
    expect(score(["time_to_detect(probe.breaker >= 1) < 5s"], early).assertions[0]).toMatchObject({ verdict: "INCONCLUSIVE", note: expect.stringMatching(/held already before the first fault started/) });
  });

  test("recovery time: from the fault's end until every later reading holds", () => {
    expect(score(["recovery_time(probe.breaker == 0) < 2s"], breaker).assertions[0]).toMatchObject({ verdict: "PASS", observed: 1500 });
    const stuck = breaker.map((r) => during("breaker", r.t, r.t > 12_000 ? 1 : 0));
    expect(score(["recovery_time(probe.breaker == 0) < 2s"], stuck).assertions[0]).toMatchObject({ verdict: "FAIL", note: expect.stringMatching(/did not hold by the last reading/) });
  });
});
