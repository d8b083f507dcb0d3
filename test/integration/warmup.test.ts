/**
 * The warm-up before the timeline (issue 18, defect 10): it posts where the traffic posts, for a
 * base URL given with or without `/v1`, and a warm-up that fails says how.
 */
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import { warmUp } from "../../harness/traffic/warmup.js";
import { AnswerBook } from "../../harness/reference/providers/answer.js";
import type { Scenario } from "../../harness/scenario/schema.js";

const traffic = { model: "m", mix: [{ name: "chat", kind: "chat", weight: 1, stream: false, promptTokens: 10, maxTokens: 4 }] } as unknown as Scenario["traffic"];

async function recorder(status: number, attempts?: (n: number) => number) {
  const paths: string[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c)).on("end", () => bodies.push(Buffer.concat(chunks).toString("utf8")));
    const extra = attempts ? { "x-aire-attempts": String(attempts(paths.length)) } : {};
    res.writeHead(status, { "content-type": "application/json", ...extra }).end(status === 200 ? '{"choices":[]}' : '{"error":{"message":"no such route"}}');
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, paths, bodies, [Symbol.asyncDispose]: async () => void (server.closeAllConnections(), server.close()) };
}

describe("warm-up", () => {
  test.each(["", "/v1", "/v1/"])("base URL …%s: every warm-up request goes to /v1/chat/completions", async (suffix) => {
    await using server = await recorder(200);
    const result = await warmUp(server.url + suffix, traffic, new AbortController().signal, undefined, 2, 4);
    expect(result).toMatchObject({ requests: 8, ok: 8 });
    expect(result.firstFailure).toBeUndefined();
    expect(new Set(server.paths)).toEqual(new Set(["POST /v1/chat/completions"]));
  });

  test("requests the gateway answered after more than one upstream attempt (x-aire-attempts) are counted", async () => {
    await using server = await recorder(200, (n) => (n % 3 === 0 ? 2 : 1));
    expect(await warmUp(server.url, traffic, new AbortController().signal, undefined, 2, 3)).toMatchObject({ requests: 6, ok: 6, retried: 2 });
    await using silent = await recorder(200);
    expect(await warmUp(silent.url, traffic, new AbortController().signal, undefined, 1, 2)).toMatchObject({ retried: 0 });
  });

  test("its prompt is an ordinary one: the synthetic providers answer it in words, with no tokenizer to build", async () => {
    await using server = await recorder(200);
    await warmUp(server.url, traffic, new AbortController().signal, undefined, 1, 1);
    const { messages } = JSON.parse(server.bodies[0]!) as { messages: { role: string; content: string }[] };
    const book = new AnswerBook(1, { median: 20, p99: 40 });
    expect(book.plan(messages, 4, undefined).tokens.join("")).toMatch(/^[a-z]+( [a-z]+){3}$/);
    // A nonce prompt is what made the pods build it: its answer is the nonce, cut by the tokenizer.
    expect(book.plan([{ role: "user", content: "reply with exactly: ok" }], 4, undefined).tokens).toEqual(["ok"]);
  });

  test("a base path in front of /v1 is kept", async () => {
    await using server = await recorder(200);
    await warmUp(`${server.url}/team/llm/v1`, traffic, new AbortController().signal, undefined, 1, 2);
    expect(new Set(server.paths)).toEqual(new Set(["POST /team/llm/v1/chat/completions"]));
  });

  test("a warm-up that fails says how", async () => {
    await using server = await recorder(404);
    const result = await warmUp(`${server.url}/v1`, traffic, new AbortController().signal, undefined, 1, 2);
    expect(result).toMatchObject({ requests: 2, ok: 0 });
    expect(result.firstFailure).toBe(`HTTP 404 from POST ${server.url}/v1/chat/completions: {"error":{"message":"no such route"}}`);
  });
});
