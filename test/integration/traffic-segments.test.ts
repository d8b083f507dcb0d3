/**
 * Execution segments (`aire run --workers N`): the generators of segments 0/2 and 1/2, run side by
 * side, send exactly the requests one generator sends alone — the same bodies, keys, ids and
 * intended times — with a shared arrival, a tenant's own arrival and agent sessions in the mix.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { LatencyHistogram } from "../../harness/metrics/histogram.js";
import { runTraffic, type TrafficOptions } from "../../harness/traffic/generator.js";
import { provider } from "../helpers/stack.js";

const MAX = 100_000;

const traffic: TrafficOptions["traffic"] = {
  model: "m",
  arrival: { type: "poisson", rate: 60 },
  mix: [
    { name: "chat", kind: "chat", weight: 3, stream: true, promptTokens: { dist: "lognormal", median: 80, p99: 400 }, maxTokens: 6 },
    { name: "rag", kind: "rag", weight: 1, stream: false, promptTokens: 300, maxTokens: 4 },
    { name: "agent", kind: "agent", weight: 1, stream: true, promptTokens: 40, maxTokens: 8, session: { turns: 2, thinkTime: 10, toolCalls: 0 } },
  ],
  tenants: [
    { name: "team-a", weight: 2 },
    { name: "team-b", weight: 1 },
    { name: "batch", weight: 1, arrival: { type: "constant", rate: 20 }, mix: ["chat"] },
  ],
  client: { timeout: 5000, connections: 64, warmConnections: 0, retries: 0 },
} as TrafficOptions["traffic"];

/** A recorder in front of the provider: every POST's key and body, as the target saw them. */
async function recorder(upstream: string) {
  const seen: string[] = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.push(`${req.headers.authorization ?? ""} ${body}`);
    const answer = await fetch(`${upstream}${req.url}`, { method: req.method!, headers: { "content-type": "application/json" }, body: req.method === "POST" ? body : undefined });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    for await (const chunk of answer.body!) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function send(url: string, segments: { index: number; count: number }[]) {
  const start = performance.now() + 50;
  const bySegment = segments.map(() => [] as Sample[]);
  await Promise.all(
    segments.map((segment, k) =>
      runTraffic({ baseUrl: url, traffic, tenantKeys: { "team-a": "key-a", "team-b": "key-b", batch: "key-batch" }, seed: 11, phases: [{ name: "one", duration: 1000 }, { name: "two", duration: 1000 }], maxRequests: MAX, start, signal: new AbortController().signal, onSample: (s) => bySegment[k]!.push(s), segment }),
    ),
  );
  return { samples: bySegment.flat(), bySegment };
}

/** A scheduled request as the target and the results have it; a session's later turns are compared apart. */
const scheduled = (samples: Sample[]) => samples.filter((s) => s.id < MAX).map((s) => [s.id, s.scheduledAt, s.phase, s.workload, s.tenant, s.promptTokens ?? null]).sort((a, b) => (a[0] as number) - (b[0] as number));
const firstTurns = (seen: string[]) => seen.filter((line) => !line.includes('"role":"assistant"') && !line.includes('"role":"tool"')).sort();

describe("execution segments", () => {
  test("segments 0/2 and 1/2 together send what one generator sends: bodies, keys, ids, intended times", async () => {
    await using upstream = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 2000 });
    await using one = await recorder(upstream.url);
    const alone = await send(one.url, [{ index: 0, count: 1 }]);
    await using two = await recorder(upstream.url);
    const split = await send(two.url, [{ index: 0, count: 2 }, { index: 1, count: 2 }]);

    expect(alone.samples.every((s) => s.ok)).toBe(true);
    expect(split.samples.every((s) => s.ok)).toBe(true);
    // Some 140 scheduled requests: the shared Poisson arrival, the batch tenant's own, merged.
    const a = scheduled(alone.samples);
    expect(a.length).toBeGreaterThan(100);
    expect(new Set(a.map((r) => r[4])).size).toBe(3);
    expect(scheduled(split.samples)).toEqual(a);
    // The target saw the same requests (key and body), whichever process sent them.
    expect(firstTurns(two.seen)).toEqual(firstTurns(one.seen));
    // Each segment sent its stripe: scheduled request i from segment i mod 2, half each.
    split.bySegment.forEach((own, k) => {
      const ids = own.filter((s) => s.id < MAX).map((s) => s.id);
      expect(ids.every((id) => id % 2 === k)).toBe(true);
      expect(Math.abs(ids.length - a.length / 2)).toBeLessThanOrEqual(1);
    });
    // Agent sessions went on in the segment that started them; later turns are numbered from the
    // request limit, striped by segment, and never collide.
    const later = split.samples.filter((s) => s.id >= MAX);
    expect(later.length).toBeGreaterThan(0);
    expect(new Set(split.samples.map((s) => s.id)).size).toBe(split.samples.length);
    for (const s of later) expect((s.id - MAX) % 2).toBe(s.session! % 2);
  });

  test("schedule-lag histograms merge exactly across processes (encoded and decoded)", () => {
    const [x, y, both] = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    for (let i = 1; i <= 5000; i++) {
      const ms = (i * 7919) % 1000 / 10;
      (i % 3 === 0 ? x : y).record(ms);
      both.record(ms);
    }
    const merged = new LatencyHistogram();
    merged.mergeEncoded(x.encode());
    merged.mergeEncoded(y.encode());
    for (const stat of ["p50", "p90", "p99", "p999", "max", "min", "mean"] as const) expect(merged.stat(stat)).toBe(both.stat(stat));
    expect(merged.count).toBe(5000);
  });
});
