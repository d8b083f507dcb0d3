/**
 * A standing guarantee (issue 18, defect 15): malformed and hostile requests to the reference
 * gateway and a synthetic provider, each running as its own `aire serve` process, get an
 * OpenAI-shaped 4xx (400 where OpenAI answers 400), never a 5xx or a crash; the servers still
 * answer afterwards; their memory does not grow over repeated rounds; and a client that trickles
 * its headers (slowloris) is cut off within the 10 s header bound.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { firstLine, startCli } from "../helpers/cli.js";

const msg = (extra: Record<string, unknown>) => ({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...extra });

/** [what, body, the param OpenAI names]: OpenAI answers each with 400 invalid_request_error. */
const invalid: [string, unknown, string | null][] = [
  ["temperature as a string", msg({ temperature: "hot" }), "temperature"],
  ["temperature out of range", msg({ temperature: 2.5 }), "temperature"],
  ["top_p out of range", msg({ top_p: -0.1 }), "top_p"],
  ["an object content", msg({ messages: [{ role: "user", content: { text: "hi" } }] }), "messages[0].content"],
  ["an unknown role", msg({ messages: [{ role: "wizard", content: "hi" }] }), "messages[0].role"],
  ["n: -1", msg({ n: -1 }), "n"],
  ["n: 0", msg({ n: 0 }), "n"],
  ["n: 1.5", msg({ n: 1.5 }), "n"],
  ["an unknown tool_choice", msg({ tool_choice: "sometimes" }), "tool_choice"],
  ["response_format xml", msg({ response_format: { type: "xml" } }), "response_format.type"],
  ["a string stream_options", msg({ stream: true, stream_options: "yes" }), "stream_options"],
  ["stream as a string", msg({ stream: "true" }), "stream"],
  ["max_tokens 0", msg({ max_tokens: 0 }), "max_tokens"],
  ["no messages", { model: "m", messages: [] }, "messages"],
  ["no model", { messages: [{ role: "user", content: "hi" }] }, "model"],
  ["a message that is a string", msg({ messages: ["hi"] }), "messages[0]"],
  ["tools not an array", msg({ tools: { type: "function" } }), "tools"],
  ["a body that is an array", [1, 2, 3], null],
];

/** Raw bodies that are not JSON objects at all. */
const raw = ['{"model": "m", "messages": [', "not json", "", "\u0000\u0001\u0002", '{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1e309}', "9".repeat(5000)];

type Server = { url: string; pid: number; stop(): Promise<void> };
async function serve(kind: "provider" | "gateway", args: string[] = []): Promise<Server> {
  // A fixed young generation: V8 otherwise grows it in steps of several MB under load, which is
  // neither a leak nor what this test measures (the old generation holding on to requests).
  const { child, done } = startCli(["serve", kind, ...args], { timeoutMs: 120_000, env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-semi-space-size=1`.trim() } });
  const line = await firstLine(child);
  const url = /^listening on (\S+)$/.exec(line)![1]!;
  return { url, pid: child.pid!, stop: async () => void (child.kill("SIGTERM"), await done) };
}
const rss = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

let root: string;
let provider: Server;
let gateway: Server;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aire-bad-http-"));
  await writeFile(join(root, "provider.yaml"), "name: p\nmodel: m\nttftMs: 5\ndecodeTokensPerSec: 1000\n");
  provider = await serve("provider", ["--config", join(root, "provider.yaml")]);
  await writeFile(join(root, "gateway.yaml"), `providers: [ { name: p, url: ${provider.url}, model: m } ]\nroutes: { m: [ p ] }\n`);
  gateway = await serve("gateway", ["--config", join(root, "gateway.yaml")]);
});
afterAll(async () => {
  await gateway?.stop();
  await provider?.stop();
  await rm(root, { recursive: true, force: true });
});

async function post(url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, text };
}

describe.each(["provider", "gateway"] as const)("the %s against hostile requests", (which) => {
  const server = () => (which === "provider" ? provider : gateway);

  test.each(invalid)("%s: 400 invalid_request_error naming the param, as OpenAI", async (_what, body, param) => {
    const r = await post(server().url, JSON.stringify(body));
    expect(r.status).toBe(400);
    const error = JSON.parse(r.text).error;
    expect(error).toMatchObject({ type: "invalid_request_error", param });
    expect(typeof error.message).toBe("string");
  });

  test("bodies that are not JSON objects, other methods and paths, oversized bodies: 4xx, never 5xx; still answering after", async () => {
    const statuses: number[] = [];
    for (const body of raw) statuses.push((await post(server().url, body)).status);
    statuses.push((await fetch(`${server().url}/v1/chat/completions`, { method: "GET" })).status);
    statuses.push((await fetch(`${server().url}/v1/nowhere`, { method: "POST", body: "{}" })).status);
    statuses.push((await post(server().url, JSON.stringify(msg({ messages: [{ role: "user", content: "x".repeat(5 * 1024 * 1024) }] })))).status);
    for (const s of statuses) expect(s >= 400 && s < 500, `status ${s}`).toBe(true);
    const ok = await post(server().url, JSON.stringify(msg({})));
    expect(ok.status).toBe(200);
  });

  test("memory stays flat over repeated rounds of the corpus", async () => {
    const round = async () => {
      for (let i = 0; i < 10; i++) {
        await Promise.all([...invalid.map(([, body]) => post(server().url, JSON.stringify(body))), ...raw.map((b) => post(server().url, b))]);
      }
    };
    // Three rounds to warm up (JIT, buffers, the allocator's pools), then five measured.
    for (let i = 0; i < 3; i++) await round();
    const before = await rss(server().pid);
    for (let i = 0; i < 5; i++) await round();
    const after = await rss(server().pid);
    // 1,200 more bad requests: a leak of even 5 KB each would show as 6 MB.
    expect(after - before).toBeLessThan(6);
  });

  test("slowloris: headers trickled a byte a second are cut off within the 10 s header bound", async () => {
    const { hostname, port } = new URL(server().url);
    const socket = connect({ host: hostname, port: Number(port) });
    const started = performance.now();
    const header = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    socket.write(header);
    const timer = setInterval(() => socket.writable && socket.write("a"), 1000);
    const closedAt = await new Promise<number>((resolve) => {
      socket.on("error", () => {});
      socket.on("close", () => resolve(performance.now() - started));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 20_000);
    });
    clearInterval(timer);
    socket.destroy();
    expect(closedAt).toBeGreaterThanOrEqual(9_000);
    expect(closedAt).toBeLessThan(13_000);
  }, 30_000);
});
