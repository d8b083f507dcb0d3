import { describe, expect, test } from "vitest";
import { resolvePolicy, gatewayConfig, gatewayConfigSchema, policyAsConfig, policyOverridesSchema } from "../../harness/reference/gateway/config.js";
import { ConcurrencyLimiter } from "../../harness/reference/gateway/policy/admission.js";
import { createBalancer, PeakEwma } from "../../harness/reference/gateway/policy/balancer.js";
import { CircuitBreaker, type BreakerState } from "../../harness/reference/gateway/policy/breaker.js";
import { backoffMs, RetryBudget, retryAfterMs } from "../../harness/reference/gateway/policy/retry.js";
import { seededRandom } from "../../harness/base/random/prng.js";

const clock = (start = 1_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

describe("retry timing", () => {
  test("full jitter: every delay lies in [0, min(max, base·2^k)) and spreads over it", () => {
    const random = seededRandom(3);
    for (const k of [0, 1, 2, 3, 6]) {
      const cap = Math.min(2_000, 100 * 2 ** k);
      const draws = Array.from({ length: 2_000 }, () => backoffMs(k, 100, 2_000, random));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThan(cap);
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(mean).toBeGreaterThan(cap * 0.45);
      expect(mean).toBeLessThan(cap * 0.55);
    }
  });

  test.each([
    [{ "retry-after-ms": "250" }, 250],
    [{ "retry-after-ms": "12.5", "retry-after": "9" }, 12.5],
    [{ "retry-after": "2" }, 2_000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after": new Date(Date.UTC(2030, 0, 1, 0, 0, 3)).toUTCString() }, 3_000],
    [{ "retry-after": "soon" }, undefined],
    [{ "retry-after-ms": "-5" }, undefined],
    [{}, undefined],
  ])("retry-after from %j is %s ms", (headers, expected) => {
    expect(retryAfterMs(headers, Date.UTC(2030, 0, 1, 0, 0, 0))).toBe(expected);
  });

  test("the retry budget allows ratio × requests + minPerSecond × window, and refills as the window rolls", () => {
    const c = clock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 1, windowMs: 10_000 }, c.now);
    for (let i = 0; i < 100; i++) budget.request();
    let granted = 0;
    while (budget.tryRetry()) granted++;
    expect(granted).toBe(30); // 0.2 × 100 + 1/s × 10 s
    c.advance(11_000); // the requests and retries have left the window
    granted = 0;
    while (budget.tryRetry()) granted++;
    expect(granted).toBe(10);
  });
});

describe("circuit breaker", () => {
  const config = { consecutiveFailures: 100, windowMs: 10_000, minRequests: 4, failureRate: 0.5, openMs: 1_000, halfOpenProbes: 2 };

  test("stays closed below minRequests, opens at the failure rate, refuses while open", () => {
    const c = clock();
    const transitions: string[] = [];
    const b = new CircuitBreaker(config, (from, to) => transitions.push(`${from}→${to}`), c.now);
    b.acquire()!.failure();
    b.acquire()!.failure();
    b.acquire()!.failure();
    expect(b.state).toBe("closed"); // 3 < minRequests
    b.acquire()!.success();
    expect(b.state).toBe("closed"); // a success never opens it
    b.acquire()!.failure(); // 4 of 5 failed
    expect(b.state).toBe("open");
    expect(b.acquire()).toBeUndefined();
    expect(b.remainingOpenMs).toBe(1_000);
    expect(transitions).toEqual(["closed→open"]);
  });

  test("consecutive failures open it even when the window is full of earlier successes", () => {
    const c = clock();
    const b = new CircuitBreaker({ ...config, consecutiveFailures: 3 }, () => {}, c.now);
    for (let i = 0; i < 50; i++) b.acquire()!.success();
    b.acquire()!.failure();
    b.acquire()!.failure();
    b.acquire()!.success(); // a success resets the streak
    b.acquire()!.failure();
    b.acquire()!.failure();
    expect(b.state).toBe("closed");
    b.acquire()!.failure();
    expect(b.state).toBe("open");
  });

  test("a stream that broke after its first token (success, then broke) counts one failure, not a second attempt; a broken probe reopens", () => {
    const c = clock();
    const b = new CircuitBreaker({ ...config, consecutiveFailures: 2, minRequests: 2 }, () => {}, c.now);
    const first = b.acquire()!;
    first.success(); // its first token
    first.broke(); // then the stream broke
    expect(b.state).toBe("closed"); // 1 failure of 1 attempt: minRequests not reached, streak 1
    const second = b.acquire()!;
    second.success();
    second.broke();
    expect(b.state).toBe("open"); // two broken streams in a row
    c.advance(1_000);
    const probe = b.acquire()!;
    probe.success();
    probe.broke();
    expect(b.state).toBe("open");
  });

  test("the maxOpen guard: a refused trip leaves the breaker closed and admitting", () => {
    const c = clock();
    let allowed = false;
    const b = new CircuitBreaker({ ...config, consecutiveFailures: 2 }, () => {}, c.now, () => allowed);
    for (let i = 0; i < 5; i++) b.acquire()!.failure();
    expect([b.state, b.allows]).toEqual(["closed", true]);
    allowed = true;
    b.acquire()!.failure();
    expect(b.state).toBe("open");
  });

  test("half-open admits halfOpenProbes at once; that many successes close it, one failure reopens it", () => {
    const c = clock();
    const states: BreakerState[] = [];
    const b = new CircuitBreaker(config, (_f, to) => states.push(to), c.now);
    for (let i = 0; i < 4; i++) b.acquire()!.failure();
    c.advance(1_000);
    expect(b.state).toBe("half-open");
    const p1 = b.acquire()!;
    const p2 = b.acquire()!;
    expect(b.acquire()).toBeUndefined(); // only two probes at once
    p1.success();
    p2.failure();
    expect(b.state).toBe("open");
    c.advance(1_000);
    const q1 = b.acquire()!;
    q1.success();
    expect(b.state).toBe("half-open");
    b.acquire()!.success();
    expect(b.state).toBe("closed");
    expect(states).toEqual(["open", "half-open", "open", "half-open", "closed"]);
    // A fresh window: old failures do not count against it.
    b.acquire()!.failure();
    expect(b.state).toBe("closed");
  });

  test("a released permit (no verdict) neither counts nor holds a probe slot; permits from before a transition are ignored", () => {
    const c = clock();
    const b = new CircuitBreaker({ ...config, halfOpenProbes: 1 }, () => {}, c.now);
    const stale = b.acquire()!;
    for (let i = 0; i < 4; i++) b.acquire()!.failure();
    stale.failure(); // from the closed generation: ignored
    c.advance(1_000);
    const probe = b.acquire()!;
    probe.release();
    expect(b.state).toBe("half-open");
    b.acquire()!.success();
    expect(b.state).toBe("closed");
  });
});

describe("load balancing", () => {
  const load = (inFlight: Record<string, number> = {}, ewma: Record<string, number> = {}) => ({ inFlight: (p: string) => inFlight[p] ?? 0, ewmaMs: (p: string) => ewma[p] ?? 0 });

  test("weighted round-robin is exact and smooth (3:1 never sends four in a row to one)", () => {
    const b = createBalancer("weighted", [{ provider: "a", weight: 3 }, { provider: "b", weight: 1 }], load(), seededRandom(1));
    const picks = Array.from({ length: 40 }, () => b.order(() => true)[0]);
    expect(picks.filter((p) => p === "a")).toHaveLength(30);
    expect(picks.join("")).not.toContain("aaaa");
    expect(b.order(() => true)).toHaveLength(2); // the other target follows as fallback
  });

  test("weighted round-robin skips an ineligible target and gives its share to the others", () => {
    const b = createBalancer("weighted", [{ provider: "a", weight: 1 }, { provider: "b", weight: 1 }, { provider: "c", weight: 1 }], load(), seededRandom(1));
    const picks = Array.from({ length: 30 }, () => b.order((p) => p !== "b")[0]);
    expect(picks.filter((p) => p === "a")).toHaveLength(15);
    expect(picks.filter((p) => p === "c")).toHaveLength(15);
  });

  test("least-inflight picks the least loaded relative to weight", () => {
    const inFlight = { a: 5, b: 1, c: 2 };
    const b = createBalancer("least-inflight", [{ provider: "a", weight: 1 }, { provider: "b", weight: 1 }, { provider: "c", weight: 4 }], load(inFlight), seededRandom(1));
    expect(b.order(() => true)[0]).toBe("c"); // (2+1)/4 < (1+1)/1
    expect(b.order((p) => p !== "c")[0]).toBe("b");
  });

  test("p2c-ewma sends most traffic to the faster of two targets, some to both", () => {
    const b = createBalancer("p2c-ewma", [{ provider: "fast", weight: 1 }, { provider: "slow", weight: 1 }, { provider: "mid", weight: 1 }], load({}, { fast: 50, slow: 800, mid: 200 }), seededRandom(9));
    const counts: Record<string, number> = { fast: 0, slow: 0, mid: 0 };
    for (let i = 0; i < 3_000; i++) counts[b.order(() => true)[0]!]!++;
    // fast wins every pair it is in (2/3 of pairs); mid wins the (mid, slow) pair; slow never wins.
    expect(counts.fast! / 3_000).toBeCloseTo(2 / 3, 1);
    expect(counts.mid! / 3_000).toBeCloseTo(1 / 3, 1);
    expect(counts.slow).toBe(0);
  });

  test("peak EWMA jumps up at once, comes down 30% per faster sample, and decays towards 0 while idle", () => {
    const c = clock();
    const e = new PeakEwma(1_000, c.now);
    e.observe(100);
    e.observe(900);
    expect(e.value).toBe(900);
    e.observe(100);
    expect(e.value).toBeCloseTo(900 - 0.3 * 800, 5);
    c.advance(1_000);
    expect(e.value).toBeCloseTo(660 * Math.exp(-1), 5);
  });
});

describe("concurrency limit", () => {
  test("admits maxInFlight, queues maxQueue in FIFO order, refuses the rest at once, and times out the queue", async () => {
    const limiter = new ConcurrencyLimiter({ maxInFlight: 2, maxQueue: 2, queueTimeoutMs: 100 });
    const signal = new AbortController().signal;
    const a = limiter.acquire(signal);
    const b = limiter.acquire(signal);
    expect([(a as { ok: boolean }).ok, (b as { ok: boolean }).ok]).toEqual([true, true]);
    const order: string[] = [];
    const c = Promise.resolve(limiter.acquire(signal)).then((r) => (order.push("c"), r));
    const d = Promise.resolve(limiter.acquire(signal)).then((r) => (order.push("d"), r));
    expect(limiter.acquire(signal)).toEqual({ ok: false, reason: "queue_full" });
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 2]);
    (a as { ok: true; release: () => void }).release();
    const admitted = await c;
    expect(admitted.ok).toBe(true);
    expect(await d).toEqual({ ok: false, reason: "queue_timeout" });
    expect(order).toEqual(["c", "d"]);
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 0]);
  });

  test("a waiter whose client leaves is dropped from the queue", async () => {
    const limiter = new ConcurrencyLimiter({ maxInFlight: 1, maxQueue: 5, queueTimeoutMs: 10_000 });
    const held = limiter.acquire(new AbortController().signal) as { ok: true; release: () => void };
    const gone = new AbortController();
    const waiting = limiter.acquire(gone.signal);
    gone.abort();
    expect(await waiting).toEqual({ ok: false, reason: "aborted" });
    expect(limiter.queued).toBe(0);
    held.release();
    expect(limiter.inFlight).toBe(0);
  });
});

describe("policy configuration", () => {
  test("the resilient profile has every policy on; naive has none", () => {
    const r = resolvePolicy("resilient");
    expect([r.fallback, r.retries.maxAttempts > 1, !!r.retries.budget, !!r.breaker, !!r.concurrency, r.timeouts.ttftMs, r.timeouts.idleMs]).toEqual([true, true, true, true, true, 2_000, 5_000]);
    const n = resolvePolicy("naive");
    expect([n.fallback, n.retries.maxAttempts, n.retries.budget, n.breaker, n.concurrency, n.timeouts.ttftMs, n.timeouts.idleMs, n.timeouts.totalMs]).toEqual([false, 1, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  test("overrides switch one policy off or on and keep the rest of the profile", () => {
    const off = resolvePolicy("resilient", policyOverridesSchema.parse({ breaker: false, timeouts: { idle: false, ttft: "400ms" } }));
    expect([off.breaker, off.timeouts.idleMs, off.timeouts.ttftMs, off.retries.maxAttempts]).toEqual([undefined, undefined, 400, 3]);
    const on = resolvePolicy("naive", policyOverridesSchema.parse({ breaker: { minRequests: 3 } }));
    expect(on.breaker).toEqual({ ...resolvePolicy("resilient").breaker, minRequests: 3 });
    expect(on.fallback).toBe(false);
  });

  test("a resolved policy written back as config resolves to itself", () => {
    for (const profile of ["resilient", "naive"] as const) {
      const p = resolvePolicy(profile, policyOverridesSchema.parse({ balance: "p2c-ewma", retries: { budget: { ratio: "10%" } } }));
      expect(resolvePolicy(profile, policyOverridesSchema.parse(policyAsConfig(p)))).toEqual(p);
    }
  });

  test("routes name known providers; the short form is a priority chain with weight 1", () => {
    const config = gatewayConfig({ providers: [{ name: "a", url: "http://127.0.0.1:1", model: "m" }, { name: "b", url: "http://127.0.0.1:2", model: "m" }], routes: { chat: ["a", "b"], spread: { targets: [{ provider: "a", weight: 3 }, "b"], balance: "weighted" } } });
    expect(config.routes.get("chat")).toEqual({ model: "chat", targets: [{ provider: "a", weight: 1 }, { provider: "b", weight: 1 }], balance: "priority" });
    expect(config.routes.get("spread")?.balance).toBe("weighted");
    const bad = gatewayConfigSchema.safeParse({ providers: [{ name: "a", url: "http://127.0.0.1:1", model: "m" }], routes: { chat: ["a", "nope"] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ["routes", "chat", 1], message: expect.stringContaining("unknown provider nope") });
  });
});
