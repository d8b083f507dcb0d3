/**
 * `npm run bench` (provider part): streamed chunks/s of one provider process at 1,000 concurrent
 * streams, side by side with a bare Node.js SSE server (the floor), and the provider's event-loop
 * lag p99 at the default scenario's load.
 */
import { writeFile } from "node:fs/promises";
import { privateTempDir } from "../harness/base/lifecycle/temp.js";
import { join } from "node:path";
import { Pool } from "undici";
import { startProcess } from "./process.js";



/** Opens `streams` streams at once and counts content chunks until all end; returns chunks/s. */
async function drive(url: string, path: string, body: string | undefined, streams: number): Promise<{ chunksPerSec: number; chunks: number; seconds: number }> {
  const pool = new Pool(url, { connections: streams, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  let chunks = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const res = await pool.request({ path, method: "POST", headers: { "content-type": "application/json" }, ...(body ? { body } : {}) });
      for await (const data of res.body as AsyncIterable<Buffer>) {
        // Every non-empty content delta (the role chunk's content is ""; an answer's first word has no leading space).
        let i = -1;
        while ((i = data.indexOf('"content":"', i + 1)) >= 0) if (data[i + 11] !== 0x22) chunks++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.destroy();
  return { chunksPerSec: chunks / seconds, chunks, seconds };
}

export async function benchProvider(): Promise<void> {
  const streams = 1000;
  const tokens = 200;
  const rate = 100; // tokens/s per stream → 100,000 chunks/s demanded in all
  // The provider's config holds its admin token: a private file, removed when the bench is done.
  const dir = privateTempDir("bench");
  const config = join(dir.path, "provider.json");
  await writeFile(config, JSON.stringify({ adminToken: "bench", model: "m", ttftMs: 0, decodeTokensPerSec: rate, batchPenalty: 0, slots: streams, maxQueue: 0, pods: 0, outputTokens: { median: tokens * 2, p99: tokens * 3 } }));
  const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "benchmark" }], max_tokens: tokens, stream: true });

  try {
    await measure(config, body, streams, tokens, rate);
  } finally {
    // Removed only when both providers that read it are done (the second one rewrites it).
    await dir.remove();
  }
}

async function measure(config: string, body: string, streams: number, tokens: number, rate: number): Promise<void> {
  const aire = await startProcess(["dist/bundle/aire.js", "serve", "provider", "--config", config]);
  const aireResult = await drive(aire.url, "/v1/chat/completions", body, streams);
  await aire.stop();
  const bare = await startProcess(["dist/bench/bare-sse-server.js"]);
  const bareResult = await drive(bare.url, `/?tokens=${tokens}&rate=${rate}`, undefined, streams);
  await bare.stop();

  console.log(`\nprovider: ${streams} concurrent streams × ${tokens} tokens at ${rate} tokens/s each (${(streams * rate).toLocaleString()} chunks/s demanded)`);
  console.log(`  aire provider (1 process)   ${Math.round(aireResult.chunksPerSec).toLocaleString().padStart(9)} chunks/s  (${aireResult.chunks} chunks in ${aireResult.seconds.toFixed(2)} s)`);
  console.log(`  bare node:http SSE server   ${Math.round(bareResult.chunksPerSec).toLocaleString().padStart(9)} chunks/s  (${bareResult.chunks} chunks in ${bareResult.seconds.toFixed(2)} s)`);
  console.log(`  ratio aire / bare           ${(aireResult.chunksPerSec / bareResult.chunksPerSec).toFixed(2)}`);

  // Event-loop lag at the default scenario's load (provider-latency.yaml: 10 req/s, 24 tokens at 60 tok/s).
  await writeFile(config, JSON.stringify({ adminToken: "bench", model: "m", ttftMs: 80, decodeTokensPerSec: 60, pods: 0 }));
  const loaded = await startProcess(["dist/bundle/aire.js", "serve", "provider", "--config", config]);
  const pool = new Pool(loaded.url, { connections: 64 });
  const scenarioBody = JSON.stringify({ model: "m", messages: [{ role: "user", content: "lorem ipsum ".repeat(100) }], max_tokens: 24, stream: true, stream_options: { include_usage: true } });
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * 100 - performance.now())));
    inflight.push(pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body: scenarioBody }).then((r) => r.body.dump()));
  }
  await Promise.all(inflight);
  const metrics = await (await pool.request({ path: "/metrics", method: "GET" })).body.text();
  const p99 = Number(/^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(metrics)?.[1]) * 1000;
  const max = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1]) * 1000;
  await pool.destroy();
  await loaded.stop();
  console.log(`\nprovider event-loop lag at the default scenario's load (10 req/s for 10 s): p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms (target: p99 < 10 ms)`);
}
