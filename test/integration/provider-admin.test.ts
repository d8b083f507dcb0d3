import { connect } from "node:net";
import { once } from "node:events";
import { describe, expect, test } from "vitest";
import { startHttpServer } from "../../harness/base/net/http-server.js";
import { breakConnection } from "../../harness/reference/providers/pod.js";
import { isJson } from "../helpers/json.js";
import { provider } from "../helpers/stack.js";
import { onQuietMachine } from "../helpers/machine.js";

type Started = Awaited<ReturnType<typeof provider>>;
const admin = (p: Started, method: string, path: string, body?: unknown) =>
  fetch(`${p.url}/admin${path}`, { method, headers: { authorization: `Bearer ${p.adminToken}`, "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

/** One streaming request, measured: frames, content tokens, gaps, whether [DONE] came. */
async function stream(p: Started, content = "Reply with exactly: canary-42", maxTokens = 8) {
  const started = performance.now();
  const res = await fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content }], max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
  });
  if (res.status !== 200) return { status: res.status, frames: [] as string[], tokens: [] as string[], times: [] as number[], done: false, text: "", usage: undefined as number | undefined, ttft: undefined as number | undefined };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const frames: string[] = [];
  const tokens: string[] = [];
  const times: number[] = [];
  let usage: number | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        frames.push(frame);
        try {
          const chunk = JSON.parse(frame.slice(6));
          const text = chunk.choices?.[0]?.delta?.content;
          if (text) {
            tokens.push(text);
            times.push(performance.now() - started);
          }
          if (chunk.usage) usage = chunk.usage.completion_tokens;
        } catch {
          // [DONE] or a malformed frame: kept in `frames`
        }
      }
    }
  } catch {
    // the connection was cut
  }
  return { status: 200, frames, tokens, times, done: frames.at(-1) === "data: [DONE]", text: tokens.join(""), usage, ttft: times[0] };
}

const maxGap = (times: number[]) => Math.max(0, ...times.slice(1).map((t, i) => t - times[i]!));

describe("provider admin API: every behaviour has its effect and its rollback", () => {
  test.each([
    ["error 503", { type: "error", status: 503 }, (r: Awaited<ReturnType<typeof stream>>) => r.status === 503],
    ["error 529", { type: "error", status: 529 }, (r: Awaited<ReturnType<typeof stream>>) => r.status === 529],
    ["ttft +300ms", { type: "ttft", addMs: 300 }, (r: Awaited<ReturnType<typeof stream>>) => r.ttft! >= 300],
    ["decode slowdown ×5", { type: "decode-slowdown", factor: 5 }, (r: Awaited<ReturnType<typeof stream>>) => r.times.at(-1)! - r.times[0]! >= 40],
    ["stream cut after 1", { type: "stream-cut", afterTokens: 1 }, (r: Awaited<ReturnType<typeof stream>>) => r.tokens.length === 1 && !r.done],
    ["stall 300ms at token 1", { type: "stream-stall", atToken: 1, durationMs: 300 }, (r: Awaited<ReturnType<typeof stream>>) => maxGap(r.times) >= 300 && r.done],
    ["malformed chunk", { type: "malformed-chunk", atToken: 1 }, (r: Awaited<ReturnType<typeof stream>>) => r.frames.some((f) => f.startsWith("data: {") && !isJson(f.slice(6)))],
    ["error event after 1", { type: "error-event", afterTokens: 1 }, (r: Awaited<ReturnType<typeof stream>>) => !r.done && /"error":\{/.test(r.frames.at(-1)!)],
    ["degrade: empty", { type: "degrade", mode: "empty" }, (r: Awaited<ReturnType<typeof stream>>) => r.done && r.text === ""],
    ["degrade: off-topic", { type: "degrade", mode: "off-topic" }, (r: Awaited<ReturnType<typeof stream>>) => r.done && !r.text.includes("canary-42")],
    ["degrade: repeat", { type: "degrade", mode: "repeat" }, (r: Awaited<ReturnType<typeof stream>>) => r.done && new Set(r.tokens.map((t) => t.trim())).size === 1 && r.tokens.length > 1],
    ["wrong usage ×3", { type: "wrong-usage", factor: 3 }, (r: Awaited<ReturnType<typeof stream>>) => r.usage === r.tokens.length * 3],
  ])("%s", async (_name, spec, applied) => {
    await using p = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 200, outputTokens: { median: 8, p99: 9 } });
    const healthy = await stream(p);
    expect(healthy.done && healthy.text === "canary-42").toBe(true);
    expect(applied(healthy)).toBe(false);
    const set = await admin(p, "POST", "/behaviours", spec);
    expect(set.status).toBe(201);
    const { id } = (await set.json()) as { id: string };
    expect(applied(await stream(p))).toBe(true);
    expect((await admin(p, "DELETE", `/behaviours/${id}`)).status).toBe(204);
    const after = await stream(p);
    expect(after.done && after.text === "canary-42").toBe(true);
    expect((await admin(p, "DELETE", `/behaviours/${id}`)).status).toBe(404);
  });

  test.each([0, 1])("a stream cut after N tokens delivers exactly N, also when they are written back to back (pods: %i)", async (pods) => {
    // A decode this fast has every token due at once, as when a busy pod's timers run late: the
    // writes then follow each other within one tick, and Node holds them back (corked) until the
    // next one. The cut must not drop them with the connection; nor must the front that relays a
    // pod process's stream, which writes what it got and then breaks its own connection.
    await using p = await provider({ model: "m", ttftMs: 0, decodeTokensPerSec: 1_000_000, outputTokens: { median: 20, p99: 21 }, pods });
    await admin(p, "POST", "/behaviours", { type: "stream-cut", afterTokens: 5 });
    const counts = [];
    for (let i = 0; i < 10; i++) {
      const r = await stream(p, "hello", 20);
      expect(r.done).toBe(false);
      counts.push(r.tokens.length);
    }
    expect(counts).toEqual(Array(10).fill(5));
  });

  test("a client that stops reading cannot hold a cut back: the connection breaks after the longest wait", async () => {
    let broke: Promise<number> | undefined;
    await using server = await startHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // More than the loopback socket buffers hold: most of it stays queued in the process.
      for (let i = 0; i < 32; i++) res.write(Buffer.alloc(1 << 20, 0x61));
      const started = performance.now();
      broke = breakConnection(res, 300).then(() => {
        expect(res.destroyed).toBe(true);
        return performance.now() - started;
      });
    });
    const client = connect(server.port, "127.0.0.1");
    try {
      await once(client, "connect");
      client.pause(); // never reads
      client.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
      while (!broke) await new Promise((r) => setTimeout(r, 10));
      const waited = await broke;
      expect(waited).toBeGreaterThanOrEqual(295);
      expect(waited).toBeLessThan(1000);
    } finally {
      client.destroy();
    }
  });

  test("slot loss: capacity drops (requests queue), and comes back on revert", async (ctx) => {
    // An upper bound on elapsed time: measured again when the machine was busy (the hypervisor's
    // steal failed such bounds in CI, 2026-12-03), failed at once on a quiet one.
    await onQuietMachine(ctx, async () => {
      await using p = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 100, batchPenalty: 0, slots: 4 });
      const burst = async () => {
        const started = performance.now();
        await Promise.all(Array.from({ length: 4 }, () => stream(p, "hello", 10)));
        return performance.now() - started;
      };
      // One burst first, so the measured ones do not pay for the first connections and the JIT.
      await burst();
      const full = await burst();
      const { id } = (await (await admin(p, "POST", "/behaviours", { type: "slot-loss", lost: 3, id: "aire-test-slots" })).json()) as { id: string };
      expect(id).toBe("aire-test-slots");
      const degraded = await burst();
      await admin(p, "DELETE", `/behaviours/${id}`);
      const restored = await burst();
      expect(degraded).toBeGreaterThan(full * 3);
      expect(restored).toBeLessThan(full * 1.5);
    });
  });

  test("a fraction applies to about that share of requests", async () => {
    await using p = await provider({ model: "m", ttftMs: 0, decodeTokensPerSec: 5000, seed: 3 });
    await admin(p, "POST", "/behaviours", { type: "error", status: 500, fraction: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 200 }, async () => (await fetch(`${p.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], max_tokens: 1 }) })).status));
    const errors = statuses.filter((s) => s === 500).length;
    expect(errors).toBeGreaterThan(70);
    expect(errors).toBeLessThan(130);
  });

  test("the admin API needs the token, validates input, lists and clears the active set", async () => {
    await using p = await provider({ model: "m" });
    expect((await fetch(`${p.url}/admin/behaviours`)).status).toBe(401);
    const bad = await admin(p, "POST", "/behaviours", { type: "error", status: 418 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/status/);
    await admin(p, "POST", "/behaviours", { type: "ttft", addMs: 10 });
    await admin(p, "POST", "/behaviours", { type: "error", status: 503, fraction: 0.1, id: "aire-run-1-x" });
    expect((await admin(p, "POST", "/behaviours", { type: "ttft", addMs: 10, id: "aire-run-1-x" })).status).toBe(409);
    const listed = (await (await admin(p, "GET", "/behaviours")).json()) as { behaviours: { id: string; type: string }[] };
    expect(listed.behaviours.map((b) => [b.id, b.type])).toEqual([["b1", "ttft"], ["aire-run-1-x", "error"]]);
    expect((await admin(p, "DELETE", "/behaviours")).status).toBe(204);
    expect(((await (await admin(p, "GET", "/behaviours")).json()) as { behaviours: unknown[] }).behaviours).toEqual([]);
  });
});

describe("pods as processes", () => {
  test("killing a pod truncates exactly the streams it held; it comes back after its cold start", async () => {
    await using p = await provider({ model: "m", ttftMs: 10, decodeTokensPerSec: 20, batchPenalty: 0, pods: 2, coldStartMs: 600 });
    const before = (await (await admin(p, "GET", "/pods")).json()) as { pods: { index: number; pid: number; ready: boolean }[] };
    expect(before.pods.map((x) => x.ready)).toEqual([true, true]);
    const requests = Array.from({ length: 6 }, async () => {
      const res = await fetch(`${p.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "long answer please" }], max_tokens: 30, stream: true }) });
      const pod = res.headers.get("x-aire-pod");
      let text = "";
      try {
        text = await res.text();
      } catch {
        // a broken stream rejects
      }
      return { pod, done: text.trimEnd().endsWith("data: [DONE]") };
    });
    await new Promise((r) => setTimeout(r, 400));
    const killed = (await (await admin(p, "POST", "/pods/0/kill", { restart: true })).json()) as { killedPid: number };
    expect(killed.killedPid).toBe(before.pods[0]!.pid);
    // Right after the kill pod 0 is down, restarting (its 600 ms cold start has not even begun to run out).
    const during = (await (await admin(p, "GET", "/pods")).json()) as { pods: { ready: boolean; restarts: number }[] };
    expect(during.pods[0]).toMatchObject({ ready: false, restarts: 1 });
    const results = await Promise.all(requests);
    const onPod0 = results.filter((r) => r.pod === "0");
    expect(onPod0.length).toBe(3);
    expect(onPod0.every((r) => !r.done)).toBe(true);
    expect(results.filter((r) => r.pod === "1").every((r) => r.done)).toBe(true);
    expect(() => process.kill(killed.killedPid, 0)).toThrow();

    // Then pod 0 is back. The cold start is 600 ms; a busy machine adds process start-up time, so poll (bounded) rather than sleep once.
    const deadline = performance.now() + 8_000;
    let after: { pods: { ready: boolean; pid: number }[] };
    do {
      await new Promise((r) => setTimeout(r, 100));
      after = (await (await admin(p, "GET", "/pods")).json()) as { pods: { ready: boolean; pid: number }[] };
    } while (!after.pods[0]!.ready && performance.now() < deadline);
    expect(after.pods[0]!.ready).toBe(true);
    expect(after.pods[0]!.pid).not.toBe(killed.killedPid);
  }, 20_000);

  test("behaviours set on the front reach every pod process", async () => {
    await using p = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 500, pods: 2 });
    await admin(p, "POST", "/behaviours", { type: "degrade", mode: "empty" });
    const results = await Promise.all(Array.from({ length: 4 }, () => stream(p)));
    expect(results.every((r) => r.done && r.text === "")).toBe(true);
  }, 20_000);
});
