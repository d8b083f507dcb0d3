/**
 * One load generator run in its own process, for the traffic benchmark; prints one JSON line.
 *   node traffic-driver.js aire <url> <connections> <seconds> <stream:0|1> <maxTokens>
 *   node traffic-driver.js autocannon <url> <connections> <seconds>
 *   node traffic-driver.js scale <url> <connections> <requests> <dir>   (aire with its recorder: samples.jsonl in dir, windows, time series; memory every second)
 *   node traffic-driver.js undici <url> <connections> <seconds>   (bare undici dispatch, the same body: the floor of the HTTP client aire is built on)
 *   node traffic-driver.js reader <url> <connections> <seconds> <maxTokens>   (bare undici stream reader: counts chunks, parses nothing)
 *   node traffic-driver.js count <aire|autocannon|undici> <url> <requests> [warm]   (64 connections, a fixed number of requests after `warm` uncounted ones: for instruction counting)
 *   node traffic-driver.js own <requests>   (aire's own work per request: its dispatcher handed to an in-process stand-in for undici that answers at once)
 * Each runs closed-loop with one request per connection at a time, for the same time.
 */
import autocannon from "autocannon";
import { Pool } from "undici";
import { completion } from "./completion.js";
import type { Sample } from "../harness/metrics/sample.js";
import { join } from "node:path";
import { Aggregates, Recorder } from "../harness/results/recorder.js";
import { Pricing } from "../harness/traffic/cost.js";
import { prepareTraffic, runTraffic, type PreparedTraffic, type TrafficOptions } from "../harness/traffic/generator.js";

const [mode, url = "", c = "64", s = "10", a = "0", b = "8"] = process.argv.slice(2);
const connections = Number(c);
const seconds = Number(s);
/**
 * Throughput modes first run this long unmeasured (AIRE_BENCH_WARMUP_MS, default 0): each tool's
 * JIT has then compiled its request path, as it has a few seconds into any real run, so a short
 * measured run compares the tools' steady state rather than how much code each has to compile.
 */
const warmupMs = Number(process.env.AIRE_BENCH_WARMUP_MS ?? 0);

/** A request body of the size aire sends for a 16-token prompt. */
export const fixedBody = JSON.stringify({ model: "aire-chat", messages: [{ role: "user", content: "Tell me about the weather in the mountains in the spring, briefly." }], max_tokens: 8, stream: false });

/** One request per connection at a time, 16-token prompts: what every generator here sends. */
function closedLoop(stream: boolean, maxTokens: number): TrafficOptions["traffic"] {
  return {
    model: "aire-chat",
    arrival: { type: "closed", vus: connections, thinkTime: 0 },
    mix: [{ name: "chat", weight: 1, stream, promptTokens: 16, maxTokens }],
    client: { timeout: 60_000, connections, warmConnections: connections, retries: 0 },
  };
}

let cpuStart = process.cpuUsage();
/** Time spent in garbage collection since the measured part began, ms (the gc performance entries). */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ["gc"] });
const startMeasuring = () => {
  cpuStart = process.cpuUsage();
  gcMs = 0;
};
/** CPU time of this process per request since the measured part began, µs, and the part of it spent in GC. */
const cpuPerRequest = (requests: number) => {
  const { user, system } = process.cpuUsage(cpuStart);
  const n = Math.max(1, requests);
  return { cpuUsPerRequest: Math.round(((user + system) / n) * 10) / 10, gcUsPerRequest: Math.round(((gcMs * 1000) / n) * 10) / 10 };
};

/** Runs the generator until `durationMs` or `maxRequests`; returns the seconds it took. */
async function drive(traffic: TrafficOptions["traffic"], prepared: PreparedTraffic, durationMs: number, maxRequests: number, onSample: (sample: Sample) => void): Promise<number> {
  const start = performance.now() + 20;
  startMeasuring();
  await runTraffic({ prepared, baseUrl: url, traffic, seed: 1, phases: [{ name: "bench", duration: durationMs }], maxRequests, start, drainMs: 60_000, signal: new AbortController().signal, onSample });
  return (performance.now() - start) / 1000;
}

if (mode === "count") {
  // A fixed amount of work, so that instruction counts of two amounts give the cost per request;
  // after `warm` requests, so that the JIT has compiled the tool's request path in both counts.
  const [tool, target, n, warm] = [url, c, Number(s), Number(a)];
  let ok = 0;
  let once: (requests: number) => Promise<void>;
  let close = async () => {};
  if (tool === "aire") {
    const traffic = { ...closedLoop(false, 8), arrival: { type: "closed" as const, vus: 64, thinkTime: 0 }, client: { timeout: 60_000, connections: 64, warmConnections: 64, retries: 0 } };
    once = async (requests) => {
      const prepared = await prepareTraffic(traffic, 1, { baseUrl: target });
      await runTraffic({ prepared, baseUrl: target, traffic, seed: 1, phases: [{ name: "bench", duration: 3_600_000 }], maxRequests: requests, start: performance.now() + 20, drainMs: 60_000, signal: new AbortController().signal, onSample: (x) => void (x.ok && ok++) });
    };
  } else if (tool === "autocannon") {
    once = async (requests) => {
      const result = await autocannon({ url: `${target}/v1/chat/completions`, connections: 64, amount: requests, method: "POST", headers: { "content-type": "application/json" }, body: fixedBody });
      ok += result["2xx"];
    };
  } else {
    const pool = new Pool(target, { connections: 64, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
    const one = () =>
      new Promise<void>((resolve) =>
        pool.dispatch(
          { path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body: fixedBody },
          { onRequestStart: () => {}, onResponseStart: (_c, status) => void (status === 200 && ok++), onResponseData: () => {}, onResponseEnd: () => resolve(), onResponseError: () => resolve() },
        ),
      );
    once = async (requests) => {
      let sent = 0;
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (sent < requests) {
          sent++;
          await one();
        }
      }));
    };
    close = () => pool.destroy();
  }
  if (warm > 0) await once(warm);
  await once(n);
  await close();
  console.log(JSON.stringify({ requests: ok }));
} else if (mode === "aire") {
  const stream = a === "1";
  const traffic = closedLoop(stream, Number(b));
  let ok = 0;
  let failed = 0;
  let chunks = 0;
  if (warmupMs > 0) await drive(traffic, await prepareTraffic(traffic, 1, { baseUrl: url }), warmupMs, 100_000_000, () => {});
  const prepared = await prepareTraffic(traffic, 1, { baseUrl: url });
  const elapsed = await drive(traffic, prepared, seconds * 1000, 100_000_000, (sample) => {
    if (sample.ok) ok++;
    else failed++;
    chunks += sample.outputTokens;
  });
  console.log(JSON.stringify({ requests: ok, failed, seconds: elapsed, reqPerSec: ok / elapsed, ...cpuPerRequest(ok + failed), chunks, chunksPerSec: chunks / elapsed }));
} else if (mode === "autocannon") {
  if (warmupMs > 0) await autocannon({ url: `${url}/v1/chat/completions`, connections, duration: warmupMs / 1000, method: "POST", headers: { "content-type": "application/json" }, body: fixedBody });
  startMeasuring();
  const result = await autocannon({ url: `${url}/v1/chat/completions`, connections, duration: seconds, method: "POST", headers: { "content-type": "application/json" }, body: fixedBody });
  const ok = result["2xx"];
  console.log(JSON.stringify({ requests: ok, failed: result.non2xx + result.errors, seconds, reqPerSec: ok / seconds, ...cpuPerRequest(result.requests.total) }));
} else if (mode === "scale") {
  const requests = Number(s);
  const dir = a;
  const traffic = closedLoop(false, 8);
  // What a run does per sample (samples.jsonl) and what its report does with them (windows, series).
  const recorder = new Recorder(join(dir, "samples.jsonl"), new Pricing({ m: { input: 1, output: 2 } }, "aire-chat"));
  const aggregates = new Aggregates(["bench"]);
  const prepared = await prepareTraffic(traffic, 1, { baseUrl: url });
  global.gc?.();
  const before = process.memoryUsage();
  let baseline: NodeJS.MemoryUsage | undefined;
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let done = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    // The baseline: once the first 20,000 requests have warmed every code path and buffer.
    if (!baseline && done >= 20_000) baseline = m;
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 1000);
  const elapsed = await drive(traffic, prepared, 3_600_000, requests, (sample) => {
    recorder.record(sample);
    aggregates.add(sample);
    done++;
  });
  clearInterval(timer);
  await recorder.close();
  const series = aggregates.series.summarize().length;
  global.gc?.();
  const after = process.memoryUsage();
  const mb = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
  const base = baseline ?? before;
  console.log(JSON.stringify({ requests: done, failed: aggregates.run.total - aggregates.run.ok, seconds: elapsed, reqPerSec: done / elapsed, seriesSeconds: series, rssBeforeMb: mb(before.rss), rssBaselineMb: mb(base.rss), rssPeakMb: mb(peakRss), rssGrowthMb: mb(peakRss - base.rss), heapBaselineMb: mb(base.heapUsed), heapPeakMb: mb(peakHeap), heapAfterGcMb: mb(after.heapUsed), heapRetainedGrowthMb: mb(after.heapUsed - base.heapUsed) }));
} else if (mode === "undici") {
  const pool = new Pool(url, { connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const headers = { "content-type": "application/json" };
  let requests = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) =>
      pool.dispatch(
        { path: "/v1/chat/completions", method: "POST", headers, body: fixedBody },
        {
          onRequestStart: () => {},
          onResponseStart: (_c, status) => void (status === 200 ? requests++ : failed++),
          onResponseData: () => {},
          onResponseEnd: () => resolve(),
          onResponseError: () => {
            failed++;
            resolve();
          },
        },
      ),
    );
  const loop = (ms: number) => {
    const end = performance.now() + ms;
    return Promise.all(Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }));
  };
  if (warmupMs > 0) {
    await loop(warmupMs);
    requests = failed = 0;
  }
  const started = performance.now();
  startMeasuring();
  await loop(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  await pool.destroy();
  console.log(JSON.stringify({ requests, failed, seconds: elapsed, reqPerSec: requests / elapsed, ...cpuPerRequest(requests + failed) }));
} else if (mode === "own") {
  // What aire itself spends on a request, apart from the HTTP client and the network: the same
  // generator, recorder-less as above, with undici replaced by an object that calls the dispatch
  // handler back on the next turn of the loop with the static upstream's very answer. The network
  // runs above cannot separate this from undici's share; this, with no sockets, can.
  const requests = Number(url);
  const answer = Buffer.from(completion);
  const headers = { "content-type": "application/json", "content-length": String(answer.length), connection: "keep-alive", "keep-alive": "timeout=60" };
  const controller = { abort() {}, pause() {}, resume() {}, paused: false, aborted: false, reason: null, rawHeaders: null, rawTrailers: null };
  const instant = {
    dispatch(opts: { body: string }, handler: Required<Pick<import("undici").Dispatcher.DispatchHandler, "onRequestStart" | "onResponseStart" | "onResponseData" | "onResponseEnd">>) {
      Buffer.from(opts.body); // what undici does with a string body
      setImmediate(() => {
        handler.onRequestStart(controller as never, {});
        handler.onResponseStart(controller as never, 200, headers, "OK");
        handler.onResponseData(controller as never, answer);
        handler.onResponseEnd(controller as never, {});
      });
      return true;
    },
    destroy: async () => {},
  };
  const traffic = { ...closedLoop(false, 8), client: { timeout: 60_000, connections: 64, warmConnections: 0, retries: 0 } };
  const prepared = await prepareTraffic(traffic, 1);
  const origin = "http://127.0.0.1:9";
  const run = async (n: number) => {
    let ok = 0;
    startMeasuring();
    const started = performance.now();
    await runTraffic({ prepared: { ...prepared, pool: { origin, pool: instant as unknown as Pool } }, baseUrl: origin, traffic, seed: 1, phases: [{ name: "bench", duration: 3_600_000 }], maxRequests: n, start: performance.now() + 5, drainMs: 1000, signal: new AbortController().signal, onSample: (x) => void (x.ok && ok++) });
    return { ok, seconds: (performance.now() - started) / 1000 };
  };
  await run(Math.min(100_000, requests)); // warm-up: the JIT compiles the request path
  const { ok, seconds } = await run(requests);
  console.log(JSON.stringify({ requests: ok, failed: requests - ok, seconds, reqPerSec: ok / seconds, ...cpuPerRequest(requests) }));
} else if (mode === "reader") {
  const maxTokens = Number(a);
  const pool = new Pool(url, { connections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const body = JSON.stringify({ model: "aire-chat", messages: [{ role: "user", content: "bench" }], max_tokens: maxTokens, stream: true });
  const started = performance.now();
  const end = started + seconds * 1000;
  let chunks = 0;
  let requests = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body });
        for await (const data of res.body as AsyncIterable<Buffer>) {
          let i = -1;
          while ((i = data.indexOf('"content":" ', i + 1)) >= 0) chunks++;
        }
        requests++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.destroy();
  console.log(JSON.stringify({ requests, failed: 0, seconds: elapsed, reqPerSec: requests / elapsed, chunks, chunksPerSec: chunks / elapsed }));
} else {
  console.error("usage: traffic-driver.js aire|autocannon|reader <url> <connections> <seconds> …");
  process.exit(2);
}
