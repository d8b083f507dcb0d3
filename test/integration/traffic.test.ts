import { getEventListeners } from "node:events";
import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { startHttpServer } from "../../harness/base/net/http-server.js";
import { ChunkWriter, DONE_FRAME } from "../../harness/base/wire/openai-wire.js";
import { prepareTraffic, runTraffic } from "../../harness/traffic/generator.js";
import { metricSum } from "../helpers/metrics.js";
import { provider } from "../helpers/stack.js";
import { onQuietMachine } from "../helpers/machine.js";

const traffic = (rate: number, maxTokens = 10) => ({
  model: "m",
  arrival: { type: "constant" as const, rate },
  mix: [{ name: "chat", weight: 1, stream: true, promptTokens: 50, maxTokens }],
  client: { timeout: 5000, connections: 1024, warmConnections: 0, retries: 0 },
});

async function collect(baseUrl: string, rate: number, durationMs: number, maxTokens = 10): Promise<{ samples: Sample[]; scheduled: number; lag: number }> {
  const samples: Sample[] = [];
  const prepared = await prepareTraffic(traffic(rate, maxTokens), 1);
  const result = await runTraffic({
    prepared,
    baseUrl,
    traffic: traffic(rate, maxTokens),
    seed: 1,
    phases: [{ name: "only", duration: durationMs }],
    maxRequests: 10_000,
    start: performance.now() + 20,
    signal: new AbortController().signal,
    onSample: (s) => samples.push(s),
  });
  return { samples: samples.sort((a, b) => a.id - b.id), scheduled: result.scheduled, lag: result.maxScheduleLagMs };
}

/**
 * A start time (in the past, so no waiting) at which (start + i·interval) − start rounds below
 * i·interval: just under a power of two, where the sum crosses into a coarser float spacing.
 */
function boundaryStart(interval: number, i: number): number {
  const power = 2 ** Math.floor(Math.log2(Math.max(4096, performance.now()) - 2 * i * interval));
  for (let k = 0; k < 4_000_000; k++) {
    const start = power - i * interval + k * 0.0001234567;
    if (start + i * interval - start < i * interval) return start;
  }
  throw new Error("no rounding-sensitive start found");
}

/**
 * How far the engine's mean TTFT, e2e and TPOT may sit from the provider's own (40 requests): twice
 * the worst seen here. TTFT and e2e +1.4–2.2 ms idle, +1.5–5.9 ms beside four CPU-bound processes;
 * TPOT within 0.08 ms in both (6–8 runs each, 2026-12-02). The old check against the configured 200 ms
 * failed in CI at +6.5 ms, when the provider itself was late: under load its own clock read 202–203 ms.
 */
const MARGIN_TTFT = 12;
const MARGIN_TPOT = 0.5;

describe("traffic engine", () => {
  test("measures ttft and tpot as the provider's own clock has them (TTFT 200 ms, 20 ms between tokens)", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      await using server = await provider({ model: "m", ttftMs: 200, decodeTokensPerSec: 50, prefillTokensPerSec: 1e9, batchPenalty: 0, slots: 64 });
      const { samples, scheduled } = await collect(server.url, 20, 2000);
      expect(scheduled).toBe(40);
      expect(samples).toHaveLength(40);
      expect(samples.every((s) => s.ok && s.outputTokens === 10 && s.tokenSource === "usage" && s.finishReason === "length")).toBe(true);
      // The provider shares this process's event loop, so on a loaded machine its timers fire late
      // and its TTFT is no longer 200 ms: the truth is what it recorded by its own clock (vLLM's
      // histograms: their _sum over _count is the exact mean), and the engine must match that.
      const count = await metricSum(server.url, "vllm:time_to_first_token_seconds_count");
      expect(count).toBe(40);
      const truthTtft = (await metricSum(server.url, "vllm:time_to_first_token_seconds_sum")) * 1000 / count;
      const truthTpot = (await metricSum(server.url, "vllm:time_per_output_token_seconds_sum")) * 1000 / count;
      const truthE2e = (await metricSum(server.url, "vllm:e2e_request_latency_seconds_sum")) * 1000 / count;
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      // The provider's clock starts once it has read the request and stops before it writes the
      // token: the engine's adds the request's write and the token's read, on loopback.
      const ttft = mean(samples.map((s) => s.ttftService!));
      expect(ttft - truthTtft).toBeGreaterThanOrEqual(0);
      expect(ttft - truthTtft).toBeLessThan(MARGIN_TTFT);
      expect(Math.abs(mean(samples.map((s) => s.tpot!)) - truthTpot)).toBeLessThan(MARGIN_TPOT);
      const e2e = mean(samples.map((s) => s.e2eService));
      expect(e2e - truthE2e).toBeGreaterThanOrEqual(0);
      expect(e2e - truthE2e).toBeLessThan(MARGIN_TTFT);
      expect(truthTtft).toBeGreaterThanOrEqual(200);
    });
  }, 60_000);

  test("open loop: request i is due at i/rate, whatever the earlier requests are doing", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      await using server = await provider({ model: "m", ttftMs: 500, decodeTokensPerSec: 50, prefillTokensPerSec: 1e9, slots: 64 });
      const { samples, lag } = await collect(server.url, 50, 1000, 2);
      expect(samples).toHaveLength(50);
      samples.forEach((s, i) => expect(s.scheduledAt).toBeCloseTo(i * 20, 0));
      // Sent on time although every earlier request was still waiting for its first token.
      expect(Math.max(...samples.map((s) => s.sentAt - s.scheduledAt))).toBeLessThan(25);
      expect(lag).toBeLessThan(25);
    });
  }, 60_000);

  test("a Poisson arrival process is dispatched as drawn: ~1,000 requests in 5 s at 200/s, each sent within a few ms of its due time", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      await using server = await provider({ model: "m", ttftMs: 1, decodeTokensPerSec: 5000, prefillTokensPerSec: 1e9, slots: 64 });
      const samples: Sample[] = [];
      const result = await runTraffic({
        baseUrl: server.url,
        traffic: { ...traffic(200, 1), arrival: { type: "poisson", rate: 200 } },
        seed: 3,
        phases: [{ name: "only", duration: 5_000 }],
        maxRequests: 10_000,
        start: performance.now() + 20,
        signal: new AbortController().signal,
        onSample: (x) => samples.push(x),
      });
      expect(Math.abs(result.scheduled - 1_000)).toBeLessThan(4 * Math.sqrt(1_000));
      expect(samples).toHaveLength(result.scheduled);
      const due = samples.map((x) => x.scheduledAt).sort((a, b) => a - b);
      const gaps = due.slice(1).map((t, i) => t - due[i]!);
      // Not evenly spaced: the gaps spread like an exponential's (sd ≈ mean).
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
      expect(sd / mean).toBeGreaterThan(0.85);
      expect(sd / mean).toBeLessThan(1.15);
      const late = samples.map((x) => x.sentAt - x.scheduledAt).sort((a, b) => a - b);
      expect(late[Math.floor(late.length * 0.99)]).toBeLessThan(15);
    });
  }, 60_000);

  test("a generator that cannot keep up shows it: a 400 ms event-loop block appears as schedule lag and event-loop lag", async () => {
    await using server = await provider({ model: "m", ttftMs: 1, decodeTokensPerSec: 5000, prefillTokensPerSec: 1e9, slots: 64 });
    const prepared = await prepareTraffic(traffic(100, 1), 1);
    const run = () =>
      runTraffic({
        baseUrl: server.url,
        traffic: traffic(100, 1),
        seed: 1,
        phases: [{ name: "only", duration: 1_000 }],
        maxRequests: 1_000,
        start: performance.now() + 20,
        signal: new AbortController().signal,
        onSample: () => {},
        prepared,
      });
    const calm = await run();
    const timer = setTimeout(() => {
      const until = performance.now() + 400;
      while (performance.now() < until); // the generator's event loop is stuck
    }, 300);
    const blocked = await run();
    clearTimeout(timer);
    expect(calm.scheduleLagMs.p99).toBeLessThan(50);
    // 40 of the 100 requests were due during the block: the 99th percentile is close to it.
    expect(blocked.scheduleLagMs.max).toBeGreaterThanOrEqual(350);
    expect(blocked.scheduleLagMs.p99).toBeGreaterThanOrEqual(300);
    expect(blocked.eventLoopLagMs.max).toBeGreaterThanOrEqual(300);
    expect(blocked.scheduled).toBe(100); // late, but every one of them sent: open loop
  });

  test("closed loop: N virtual users never have more than N requests out, and think between them", async () => {
    let open = 0;
    let most = 0;
    await using server = await startHttpServer((req, res) => {
      req.resume();
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        const w = new ChunkWriter("c", 1, "m");
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(w.content(" hi") + w.finish("stop") + DONE_FRAME);
      }, 50);
    });
    const run = async (thinkTime: number) => {
      const samples: Sample[] = [];
      const result = await runTraffic({
        baseUrl: server.url,
        traffic: { ...traffic(1), arrival: { type: "closed", vus: 4, thinkTime } },
        seed: 1,
        phases: [{ name: "a", duration: 500 }, { name: "b", duration: 500 }],
        maxRequests: 1000,
        start: performance.now() + 20,
        signal: new AbortController().signal,
        onSample: (x) => samples.push(x),
      });
      return { samples, result };
    };
    const busy = await run(0);
    expect(most).toBe(4);
    // ~50 ms per request per user: about 4 × 1000 / 50 = 80 in 1 s.
    expect(busy.samples.length).toBeGreaterThan(60);
    expect(busy.samples.length).toBeLessThanOrEqual(84);
    expect(busy.samples.every((x) => x.ok)).toBe(true);
    expect(busy.samples.some((x) => x.phase === "a") && busy.samples.some((x) => x.phase === "b")).toBe(true);
    expect(busy.result.scheduleLagMs.max).toBe(0);
    const thinking = await run(100);
    // 150 ms per cycle: about 4 × 1000 / 150 ≈ 27.
    expect(thinking.samples.length).toBeGreaterThan(20);
    expect(thinking.samples.length).toBeLessThanOrEqual(32);
  });

  test("a request due exactly on a phase boundary belongs to the phase that starts there", async () => {
    await using server = await provider({ model: "m", ttftMs: 1, decodeTokensPerSec: 5000, prefillTokensPerSec: 1e9 });
    const samples: Sample[] = [];
    await runTraffic({
      baseUrl: server.url,
      traffic: traffic(10, 1),
      seed: 1,
      phases: [{ name: "a", duration: 500 }, { name: "b", duration: 500 }],
      maxRequests: 100,
      start: boundaryStart(100, 5),
      signal: new AbortController().signal,
      onSample: (s) => samples.push(s),
    });
    expect(samples.filter((s) => s.phase === "a").map((s) => s.id).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(samples.filter((s) => s.phase === "b").map((s) => s.id).sort()).toEqual([5, 6, 7, 8, 9]);
  });

  test.each([
    ["429", "http_429"],
    ["500", "http_5xx"],
    ["no-done", "truncated"],
    ["garbage", "malformed"],
    ["error-event", "truncated"],
  ] as const)("a %s answer is classified as %s", async (mode, errorClass) => {
    await using server = await startHttpServer((req, res) => {
      req.resume();
      if (mode === "429" || mode === "500") return void res.writeHead(Number(mode), { "content-type": "application/json" }).end('{"error":{"message":"x","type":"x","param":null,"code":null}}');
      const w = new ChunkWriter("c", 1, "m");
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(w.role());
      res.write(w.content(" hi"));
      if (mode === "garbage") res.write("data: {not json\n\n");
      if (mode === "error-event") res.write('data: {"error":{"message":"boom","type":"server_error","param":null,"code":null}}\n\n');
      res.end(mode === "no-done" ? w.finish("stop") : "");
    });
    const { samples } = await collect(server.url, 10, 300);
    expect(samples.length).toBe(3);
    expect(samples.every((s) => !s.ok && s.errorClass === errorClass)).toBe(true);
  });

  test("a request past the client timeout is a timeout error", async () => {
    await using server = await startHttpServer(() => {});
    const samples: Sample[] = [];
    await runTraffic({
      baseUrl: server.url,
      traffic: { ...traffic(10), client: { timeout: 150, connections: 1024, warmConnections: 0, retries: 0 } },
      seed: 1,
      phases: [{ name: "only", duration: 200 }],
      maxRequests: 100,
      start: performance.now(),
      signal: new AbortController().signal,
      onSample: (s) => samples.push(s),
    });
    expect(samples).toHaveLength(2);
    expect(samples.every((s) => s.errorClass === "timeout" && s.e2e >= 150 && s.e2e < 400)).toBe(true);
  });

  test("a run leaves no listener on the caller's signal, whatever its arrival", async () => {
    await using server = await provider({ model: "m", ttftMs: 1, decodeTokensPerSec: 5000, prefillTokensPerSec: 1e9 });
    const signal = new AbortController().signal;
    for (const arrival of [{ type: "constant" as const, rate: 20 }, { type: "closed" as const, vus: 3, thinkTime: 20 }]) {
      await runTraffic({ baseUrl: server.url, traffic: { ...traffic(20, 1), arrival }, seed: 1, phases: [{ name: "only", duration: 200 }], maxRequests: 100, start: performance.now(), signal, onSample: () => {} });
    }
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  test("aborting the run cancels in-flight requests without counting them as samples", async () => {
    await using server = await startHttpServer(() => {});
    const controller = new AbortController();
    const samples: Sample[] = [];
    setTimeout(() => controller.abort(), 250);
    const started = performance.now();
    const result = await runTraffic({
      baseUrl: server.url,
      traffic: traffic(20),
      seed: 1,
      phases: [{ name: "only", duration: 10_000 }],
      maxRequests: 1000,
      start: performance.now(),
      signal: controller.signal,
      onSample: (s) => samples.push(s),
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(samples).toHaveLength(0);
    expect(result.cancelled).toBe(result.scheduled);
    expect(result.scheduled).toBeGreaterThanOrEqual(4);
  });

  test("a sample that cannot be recorded stops the run, and the run fails with that error", async () => {
    await using server = await provider({ model: "m", ttftMs: 1, decodeTokensPerSec: 5000, prefillTokensPerSec: 1e9 });
    for (const arrival of [{ type: "constant" as const, rate: 50 }, { type: "closed" as const, vus: 2, thinkTime: 5 }]) {
      let recorded = 0;
      const started = performance.now();
      const run = runTraffic({
        baseUrl: server.url,
        traffic: { ...traffic(50, 1), arrival },
        seed: 1,
        phases: [{ name: "only", duration: 10_000 }],
        maxRequests: 1000,
        start: performance.now(),
        signal: new AbortController().signal,
        onSample: () => {
          if (++recorded === 3) throw new Error("disk full");
        },
      });
      await expect(run).rejects.toThrow("disk full");
      // It stopped soon after the failure, not at the end of its 10-s phase.
      expect(performance.now() - started).toBeLessThan(2000);
      expect(recorded).toBeLessThan(10);
    }
  });
});
