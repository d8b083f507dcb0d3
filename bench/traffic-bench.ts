/**
 * `npm run bench -- traffic`: aire's traffic generator side by side with peers on this machine.
 * - Throughput: aire (closed loop, one request per connection at a time) and autocannon against
 *   the same non-streaming endpoint with the same connection count; the req/s ratio (target ≥ 0.8).
 * - Streams: content chunks/s that aire receives and parses (every chunk JSON-parsed and timed)
 *   at 1,000 concurrent streams, next to a bare undici reader that only counts them.
 * Every generator runs in its own process, one after the other, against an upstream in another.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess } from "./process.js";

interface DriverResult {
  requests: number;
  failed: number;
  seconds: number;
  reqPerSec: number;
  /** CPU time of the generator's process per request while it ran, µs. */
  cpuUsPerRequest?: number;
  /** Of that, time in garbage collection, µs. */
  gcUsPerRequest?: number;
  chunks?: number;
  chunksPerSec?: number;
}

/** Runs bench/traffic-driver.js with the arguments and returns its JSON line. */
export function driver(args: readonly (string | number)[]): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["dist/bench/traffic-driver.js", ...args.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      code === 0 ? resolve(JSON.parse(line) as DriverResult) : reject(new Error(`traffic-driver ${args[0]} exited with ${code}: ${out}`));
    });
  });
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");

export async function benchTraffic(): Promise<void> {
  const connections = 64;
  const seconds = 5;
  const rounds = 3;
  const upstream = await startProcess(["dist/bench/static-upstream.js"]);
  const runs: Record<"aire" | "autocannon" | "undici", DriverResult[]> = { aire: [], autocannon: [], undici: [] };
  try {
    // Warm the upstream's JIT so the first column does not pay for it.
    await driver(["autocannon", upstream.url, connections, 2]);
    // Alternated, several rounds: on this VM one 5-second run can differ from the next by 30%.
    for (let round = 0; round < rounds; round++) {
      runs.aire.push(await driver(["aire", upstream.url, connections, seconds, 0, 8]));
      runs.autocannon.push(await driver(["autocannon", upstream.url, connections, seconds]));
      runs.undici.push(await driver(["undici", upstream.url, connections, seconds]));
    }
  } finally {
    await upstream.stop();
  }
  const median = (rs: DriverResult[]) => [...rs].sort((a, b) => a.reqPerSec - b.reqPerSec)[Math.floor(rs.length / 2)]!;
  const [aire, cannon, bare] = [median(runs.aire), median(runs.autocannon), median(runs.undici)];
  const all = (rs: DriverResult[]) => rs.map((r) => n(r.reqPerSec)).join(", ");
  const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cpu = (rs: DriverResult[]) => `${middle(rs.map((r) => r.cpuUsPerRequest ?? 0))} µs CPU/request (GC ${middle(rs.map((r) => r.gcUsPerRequest ?? 0))})`;
  console.log(`\ntraffic generator: closed loop, ${connections} connections, non-streaming, same upstream; median of ${rounds} alternated ${seconds}-s runs`);
  console.log(`  aire                 ${n(aire.reqPerSec).padStart(7)} req/s, ${cpu(runs.aire)}  (runs: ${all(runs.aire)}; ${runs.aire.reduce((f, r) => f + r.failed, 0)} failed)`);
  console.log(`  autocannon           ${n(cannon.reqPerSec).padStart(7)} req/s, ${cpu(runs.autocannon)}  (runs: ${all(runs.autocannon)})`);
  console.log(`  bare undici dispatch ${n(bare.reqPerSec).padStart(7)} req/s, ${cpu(runs.undici)}  (runs: ${all(runs.undici)}; the HTTP client aire is built on, measuring nothing)`);
  console.log(`  ratio aire / autocannon ${(aire.reqPerSec / cannon.reqPerSec).toFixed(2)} (target ≥ 0.8); aire / bare undici ${(aire.reqPerSec / bare.reqPerSec).toFixed(2)}`);

  const streams = 1000;
  const tokens = 200;
  // 10 chunks every 10 ms per stream: 1,000,000 chunks/s offered, more than one client process can take.
  const sse = await startProcess(["dist/bench/stream-upstream.js", "10", "10"]);
  try {
    const aire = await driver(["aire", sse.url, streams, seconds, 1, tokens]);
    const reader = await driver(["reader", sse.url, streams, seconds, tokens]);
    console.log(`\ntraffic generator: ${streams} concurrent streams × ${tokens} tokens, ${seconds} s, chunks received`);
    console.log(`  aire (parsed, timed)         ${n(aire.chunksPerSec!).padStart(9)} chunks/s  (${n(aire.requests)} streams complete, ${aire.failed} failed)`);
    console.log(`  bare undici reader (counted) ${n(reader.chunksPerSec!).padStart(9)} chunks/s  (${n(reader.requests)} streams)`);
    console.log(`  ratio aire / bare reader ${(aire.chunksPerSec! / reader.chunksPerSec!).toFixed(2)}`);
  } finally {
    await sse.stop();
  }
}

/** `npm run bench -- scale`: a 1,000,000-request run through the generator and its recorder; memory growth (target < 100 MB). */
export async function benchScale(): Promise<void> {
  const requests = 1_000_000;
  const dir = await mkdtemp(join(tmpdir(), "aire-bench-scale-"));
  const upstream = await startProcess(["dist/bench/static-upstream.js"]);
  try {
    const child = spawn(process.execPath, ["--expose-gc", "dist/bench/traffic-driver.js", "scale", upstream.url, "64", String(requests), dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, "exit")) as [number];
    if (code !== 0) throw new Error(`scale driver exited with ${code}: ${out}`);
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, number>;
    console.log(`\ntraffic generator at scale: ${n(r.requests!)} requests (closed loop, 64 connections, samples.jsonl written, windows and time series kept) in ${r.seconds!.toFixed(0)} s`);
    console.log(`  RSS: ${r.rssBaselineMb} MB after the first 20,000 requests, peak ${r.rssPeakMb} MB: growth ${r.rssGrowthMb} MB (target < 100 MB)`);
    console.log(`  heap: ${r.heapBaselineMb} MB at the baseline, ${r.heapAfterGcMb} MB after a GC at the end (retained growth ${r.heapRetainedGrowthMb} MB); ${r.failed} failed`);
  } finally {
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
