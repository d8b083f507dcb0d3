import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { isJson } from "../helpers/json.js";
import { Toxiproxy } from "toxiproxy-node-client";
import { Client } from "undici";
import { faultDefinition, faultSchema, ProviderAdmin, type FaultContext } from "../../faults/index.js";
import { provider, toxiproxy } from "../helpers/stack.js";

type Stack = Awaited<ReturnType<typeof stackFor>>;

async function stackFor(config: Parameters<typeof provider>[0]) {
  const p = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 200, outputTokens: { median: 8, p99: 9 }, ...config });
  const tp = await toxiproxy();
  const proxy = await new Toxiproxy(tp.url).createProxy({ name: "aire-t-primary", listen: "127.0.0.1:0", upstream: `127.0.0.1:${p.port}` });
  const events: { type: string }[] = [];
  const ctx: FaultContext = {
    runId: "t",
    faultName: "aire-t-phase-0-fault",
    toxiproxy: new Toxiproxy(tp.url),
    proxyName: (name) => `aire-t-${name}`,
    provider: (name) => new ProviderAdmin(name, p.url, p.adminToken),
    event: (type) => void events.push({ type }),
    signal: new AbortController().signal,
  };
  return { p, tp, ctx, events, via: `http://${proxy.listen}`, [Symbol.asyncDispose]: async () => { await tp.close(); await p.close(); } };
}

/** One streaming request on a fresh connection; what came back and how. */
async function probe(url: string, content = "Reply with exactly: canary-7") {
  const client = new Client(url);
  const started = performance.now();
  try {
    const res = await client.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content }], max_tokens: 8, stream: true }) });
    let text = "";
    let firstToken: number | undefined;
    const times: number[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      text += chunk.toString();
      if (/"content":"[^"]/.test(chunk.toString())) {
        firstToken ??= performance.now() - started;
        times.push(performance.now() - started);
      }
    }
    const frames = text.split("\n\n").filter(Boolean);
    const answer = frames.map((f) => { try { return JSON.parse(f.slice(6)).choices?.[0]?.delta?.content ?? ""; } catch { return ""; } }).join("");
    return { status: res.statusCode, error: undefined as string | undefined, done: frames.at(-1) === "data: [DONE]", allJson: frames.every((f) => f === "data: [DONE]" || isJson(f.slice(6))), content: answer, ttft: firstToken, ms: performance.now() - started, maxGap: Math.max(0, ...times.slice(1).map((t, i) => t - times[i]!)), retryAfterMs: Number(res.headers["retry-after-ms"]) };
  } catch (err) {
    return { status: 0, error: (err as { code?: string }).code ?? String(err), done: false, allJson: false, content: "", ttft: undefined, ms: performance.now() - started, maxGap: 0, retryAfterMs: Number.NaN };
  } finally {
    await client.destroy();
  }
}

/** Time until the server closes a `Connection: close` request's connection. */
async function closeTime(url: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on("data", () => {});
  socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await new Promise((resolve) => socket.once("close", resolve));
  return performance.now() - started;
}

const healthy = (r: Awaited<ReturnType<typeof probe>>) => r.status === 200 && r.done && r.allJson && r.content === "canary-7";

const cases: [string, Record<string, unknown>, (s: Stack) => Promise<boolean>, Parameters<typeof provider>[0]?][] = [
  ["latency", { kind: "latency", proxy: "primary", latency: "300ms" }, async (s) => (await probe(s.via)).ttft! >= 300],
  ["bandwidth", { kind: "bandwidth", proxy: "primary", rate: "1KB/s" }, async (s) => (await probe(s.via)).ms >= 500],
  ["timeout", { kind: "timeout", proxy: "primary", timeout: "200ms" }, async (s) => !healthy(await probe(s.via))],
  ["reset-peer", { kind: "reset-peer", proxy: "primary", stream: "upstream" }, async (s) => (await probe(s.via)).error === "ECONNRESET"],
  ["slicer", { kind: "slicer", proxy: "primary", averageSize: 8, delay: "2ms" }, async (s) => (await probe(s.via)).ms >= 150],
  ["limit-data", { kind: "limit-data", proxy: "primary", bytes: 300 }, async (s) => !(await probe(s.via)).done],
  ["slow-close", { kind: "slow-close", proxy: "primary", delay: "400ms" }, async (s) => (await closeTime(s.via)) >= 400],
  ["provider-down", { kind: "provider-down", proxy: "primary" }, async (s) => (await probe(s.via)).error === "ECONNREFUSED"],
  ["provider-latency", { kind: "provider-latency", provider: "primary", ttft: "300ms", decodeSlowdown: 4 }, async (s) => { const r = await probe(s.p.url); return r.ttft! >= 300 && r.maxGap >= 15; }],
  ["rate-limit-storm", { kind: "rate-limit-storm", provider: "primary", retryAfter: "2s" }, async (s) => { const r = await probe(s.p.url); return r.status === 429 && r.retryAfterMs === 2000; }],
  ["rate-limit-storm (quota squeeze)", { kind: "rate-limit-storm", provider: "primary", rpm: 2 }, async (s) => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await probe(s.p.url)).status);
    return statuses.join() === "200,200,429";
  }],
  ["error-burst", { kind: "error-burst", provider: "primary", status: 529 }, async (s) => (await probe(s.p.url)).status === 529],
  ["stream-cut", { kind: "stream-cut", provider: "primary", afterTokens: 1 }, async (s) => !(await probe(s.p.url)).done],
  ["stream-stall", { kind: "stream-stall", provider: "primary", atToken: 1, stall: "300ms" }, async (s) => (await probe(s.p.url)).maxGap >= 300],
  ["malformed-stream", { kind: "malformed-stream", provider: "primary", atToken: 1 }, async (s) => !(await probe(s.p.url)).allJson],
  ["malformed-stream (error event)", { kind: "malformed-stream", provider: "primary", mode: "error-event", atToken: 1 }, async (s) => { const r = await probe(s.p.url); return r.status === 200 && !r.done; }],
  ["silent-degradation", { kind: "silent-degradation", provider: "primary", mode: "off-topic" }, async (s) => { const r = await probe(s.p.url); return r.status === 200 && r.done && !r.content.includes("canary-7"); }],
  // With one slot left of four, four requests sent together are served one after another: the last
  // one's first token comes about three answers (3 × 40 ms) after the first one's. Healthy, they
  // start together. (The spread is measured, not the total time, which a busy machine stretches.)
  ["capacity-loss", { kind: "capacity-loss", provider: "primary", slots: 3 }, async (s) => {
    const results = await Promise.all(Array.from({ length: 4 }, () => probe(s.p.url, "long answer")));
    const ttfts = results.map((r) => r.ttft ?? Infinity);
    return Math.max(...ttfts) - Math.min(...ttfts) >= 80;
  }, { slots: 4, batchPenalty: 0, decodeTokensPerSec: 200 }],
];

describe("fault catalogue: each fault's effect on traffic and its rollback", () => {
  test.each(cases)("%s", async (_name, raw, faulty, config) => {
    await using s = await stackFor(config ?? {});
    const spec = faultSchema.parse(raw);
    const definition = faultDefinition(spec);
    expect(definition.describe(spec)).toMatch(/primary/);
    expect(await faulty(s)).toBe(false);
    expect(healthy(await probe(s.via))).toBe(true);
    const undo = await definition.inject(s.ctx, spec);
    expect(await faulty(s)).toBe(true);
    await undo();
    await undo(); // idempotent
    expect(await faulty(s)).toBe(false);
    expect(healthy(await probe(s.via))).toBe(true);
    // Nothing of the fault is left on the Toxiproxy or the provider.
    expect((await (await fetch(`${s.tp.url}/proxies/aire-t-primary/toxics`)).json())).toEqual([]);
    expect(await s.ctx.provider("primary").behaviourIds()).toEqual([]);
  }, 20_000);

  test("pod-kill: pods go down (streams break), come back after the undo; repeats stop", async () => {
    await using s = await stackFor({ pods: 2, coldStartMs: 0 });
    const spec = faultSchema.parse({ kind: "pod-kill", provider: "primary", count: 1, restart: false, every: "300ms" });
    const admin = s.ctx.provider("primary");
    const undo = await faultDefinition(spec).inject(s.ctx, spec);
    expect((await admin.pods()).filter((p) => p.ready)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 450));
    expect((await admin.pods()).filter((p) => p.ready)).toHaveLength(0);
    expect(s.events.filter((e) => e.type === "pod_kill")).toHaveLength(2);
    await undo();
    await undo();
    for (let i = 0; i < 100 && (await admin.pods()).filter((p) => p.ready).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await admin.pods()).filter((p) => p.ready)).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 400));
    expect(s.events.filter((e) => e.type === "pod_kill")).toHaveLength(2);
    expect(healthy(await probe(s.p.url))).toBe(true);
  }, 30_000);
});
