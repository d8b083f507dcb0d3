import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { AbortWatch, parseAbortCondition, type Trip } from "../../harness/orchestrator/abort-watch.js";

const sample = (over: Partial<Sample> = {}): Sample => ({ id: 0, phase: "p", workload: "w", scheduledAt: 0, dispatchedAt: 0, sentAt: 0, status: 200, ok: true, ttft: 100, e2e: 200, e2eService: 200, outputTokens: 5, tokenSource: "usage", ...over });
const failed = () => sample({ ok: false, status: 500, errorClass: "http_5xx" });

function watch(text: string): { w: AbortWatch; trips: Trip[] } {
  const parsed = parseAbortCondition(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const trips: Trip[] = [];
  return { w: new AbortWatch([parsed.value], (t) => trips.push(t)), trips };
}

describe("abort conditions", () => {
  test.each([
    ["error_rate > 50% for 10s", 10_000],
    ["ttft.p95 > 5s for 30s", 30_000],
    ["availability < 90% for 1m", 60_000],
    ["error_rate{class=http_429} > 20% for 5s", 5_000],
  ])("%s parses", (text, windowMs) => {
    const parsed = parseAbortCondition(text);
    expect(parsed.ok && parsed.value.windowMs).toBe(windowMs);
  });

  test.each([
    ["error_rate > 50%", /write <measure> <op> <value> for <duration>/],
    ["error_rate > 50% for 10", /need a unit|not a duration/],
    ["error_rate > 50% for 500ms", /at least 1s/],
    ["recovery_time(availability > 99%) < 1s for 10s", /measured after the run/],
    ["ttft.p95 > 2 * baseline for 10s", /absolute threshold/],
    ["cost.total > $5 for 10s", /cannot abort a run/],
  ])("%s is refused", (text, message) => {
    const parsed = parseAbortCondition(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  test("trips on the requests completed within its window, once, and not on too few", () => {
    const { w, trips } = watch("error_rate > 50% for 2s");
    // 0–2 s: healthy. 2–3 s: 9 failures (too few alone), then more.
    for (let i = 0; i < 20; i++) w.add(sample(), i * 100);
    for (let i = 0; i < 9; i++) w.add(failed(), 2000 + i * 10);
    w.check(2999);
    expect(trips).toEqual([]); // 9 failed of 19 in the last 2 s
    for (let i = 0; i < 12; i++) w.add(failed(), 3000 + i * 10);
    w.check(3500); // window 2–3.5 s: 21 failures, 0 successes (the healthy ones are older than 2 s)
    expect(trips).toEqual([{ condition: "error_rate > 50% for 2s", observed: "100%", requests: 21 }]);
    for (let i = 0; i < 50; i++) w.add(failed(), 4000 + i);
    w.check(4500);
    expect(trips).toHaveLength(1);
  });

  test("fewer than 10 requests in the window never trip, however bad they are", () => {
    const { w, trips } = watch("error_rate > 50% for 5s");
    for (let i = 0; i < 9; i++) w.add(failed(), i * 100);
    w.check(1000);
    expect(trips).toEqual([]);
  });
});
