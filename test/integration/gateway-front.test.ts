/**
 * The gateway's front door: the official `openai` client against it, hostile and malformed input,
 * slow and vanishing clients, and its metrics.
 */
import { connect } from "node:net";
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { seededRandom } from "../../harness/base/random/prng.js";
import { chat, gateway, provider } from "../helpers/stack.js";
import { metricSum } from "../helpers/metrics.js";

const KEY = "sk-aire-test-0001";
const keyed = (url: string, extra: object = {}) => ({
  providers: [{ name: "primary", url, model: "sim" }],
  routes: { chat: ["primary"] },
  auth: { keys: [{ key: KEY, name: "tests" }] },
  ...extra,
});

describe("the official openai client against the gateway", () => {
  test("non-stream and stream, with the gateway's attribution headers", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 5000 });
    await using gw = await gateway(keyed(p.url));
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const { data: completion, response } = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Reply with exactly: gw-77" }] }).withResponse();
    expect(completion.choices[0]!.message.content).toBe("gw-77");
    expect([response.headers.get("x-aire-provider"), response.headers.get("x-aire-attempts")]).toEqual(["primary", "1"]);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.choices.length === 0) usage = chunk.usage;
    }
    expect(text.trim().split(" ")).toHaveLength(6);
    expect(usage?.completion_tokens).toBe(6);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["chat"]);
  });

  test.each([
    ["BadRequestError", 400, { model: "chat", messages: [] as never[] }, {}, KEY],
    ["AuthenticationError", 401, { model: "chat", messages: [{ role: "user" as const, content: "x" }] }, {}, "sk-wrong-key-0000"],
    ["NotFoundError", 404, { model: "gpt-9", messages: [{ role: "user" as const, content: "x" }] }, {}, KEY],
    ["RateLimitError", 429, { model: "chat", messages: [{ role: "user" as const, content: "x" }] }, { auth: { keys: [{ key: KEY, name: "tests", rpm: 1 }] } }, KEY],
    ["InternalServerError", 502, { model: "chat", messages: [{ role: "user" as const, content: "x" }] }, { providers: [{ name: "primary", url: "http://127.0.0.1:1", model: "sim" }] }, KEY],
  ])("%s for a %i", async (errorClass, status, body, extra, apiKey) => {
    await using p = await provider({ model: "sim", ttftMs: 1 });
    await using gw = await gateway(keyed(p.url, extra));
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
    if (status === 429) await client.chat.completions.create(body); // spend the one request a minute
    const err = await client.chat.completions.create(body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).constructor.name).toBe(errorClass);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    expect((err as InstanceType<typeof OpenAI.APIError>).requestID).toBeTruthy();
  });

  test("a stream broken after tokens throws in the client (the SSE error event), never ends as if complete", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 200 });
    p.behaviours.add({ type: "stream-cut", fraction: 1, afterTokens: 3 });
    await using gw = await gateway(keyed(p.url));
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 10, stream: true });
    let tokens = 0;
    const err = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) tokens++;
    })().then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    // All 3 tokens sent before the cut arrive. (One CI run once got 1: the provider destroyed the
    // connection while its last writes were still held back by Node; see provider-admin.test.ts.)
    expect(tokens).toBe(3);
    expect(err?.message).toMatch(/upstream stream failed|ended before/);
  });
});

describe("hostile input and clients", () => {
  test("300 malformed or odd requests get 4xx in OpenAI's error shape; none crashes the gateway or gets a 500", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 5000 });
    await using gw = await gateway({ ...keyed(p.url), auth: undefined, bodyLimit: 8192 });
    const random = seededRandom(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const values = [null, true, 0, -1, 1e308, "", "x", [], {}, [{}], { role: "user" }, "💥".repeat(10)];
    const bodies: string[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = i % 6;
      if (kind === 0) bodies.push(Array.from({ length: 1 + Math.floor(random() * 200) }, () => String.fromCharCode(Math.floor(random() * 256))).join(""));
      else if (kind === 1) bodies.push(JSON.stringify(pick(values)));
      else if (kind === 2) bodies.push(JSON.stringify({ model: pick(values), messages: pick(values) }));
      else if (kind === 3) bodies.push(JSON.stringify({ model: "chat", messages: [{ role: pick(["user", "robot", 5, null]), content: pick(values) }], max_tokens: pick([-5, 0, "10", 1e9, null]) }));
      else if (kind === 4) bodies.push(JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], stream: pick(values), n: pick(values) }));
      else bodies.push("x".repeat(8193 + Math.floor(random() * 10_000)));
    }
    const statuses = new Map<number, number>();
    for (const body of bodies) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status !== 200) {
        expect(res.status, text).toBeGreaterThanOrEqual(400);
        expect(res.status, text).toBeLessThan(500);
        expect(JSON.parse(text).error.message).toBeTruthy();
      }
    }
    expect(statuses.get(500)).toBeUndefined();
    expect(statuses.get(413)).toBe(50);
    expect((await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: chat("chat") })).status).toBe(200);
  });

  test("unknown paths, wrong methods, and the probe endpoints", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1 });
    await using gw = await gateway(keyed(p.url));
    const get = (path: string, init?: RequestInit) => fetch(`${gw.url}${path}`, init);
    expect((await get("/v1/embeddings", { method: "POST", body: "{}" })).status).toBe(404);
    const wrong = await get("/v1/chat/completions");
    expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "POST"]);
    expect((await get("/healthz")).status).toBe(200);
    expect(await (await get("/readyz")).json()).toMatchObject({ status: "ok", providers: { primary: { breaker: "closed" } } });
  });

  test("a client that sends its body too slowly gets a 408 and its connection closed", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1 });
    await using gw = await gateway({ ...keyed(p.url), policy: { timeouts: { clientRequest: "300ms" } } });
    const started = performance.now();
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(gw.port, "127.0.0.1");
      let data = "";
      socket.on("data", (d) => (data += d));
      socket.on("close", () => resolve(data));
      socket.on("error", () => {});
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":`);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  test("a client that leaves mid-stream frees its slot, its upstream stream and its breaker permit", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 20 });
    await using gw = await gateway({ ...keyed(p.url), auth: undefined, policy: { concurrency: { maxInFlight: 1, maxQueue: 0 }, breaker: { halfOpenProbes: 1 } } });
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: chat("chat", { max_tokens: 100 }), signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    expect(await metricSum(gw.url, "aire_gateway_upstream_in_flight", { provider: "primary" })).toBe(1);
    controller.abort();
    const deadline = performance.now() + 2_000;
    while ((await metricSum(gw.url, "aire_gateway_in_flight")) > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await metricSum(gw.url, "aire_gateway_in_flight")).toBe(0);
    expect(await metricSum(gw.url, "aire_gateway_upstream_in_flight", { provider: "primary" })).toBe(0);
    // The one slot is free again: a new request is served, not shed.
    expect((await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: chat("chat", { max_tokens: 1 }) })).status).toBe(200);
  });
});

describe("gateway metrics", () => {
  test("OpenTelemetry GenAI histograms and per-provider policy counters, with values that match the traffic", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 5000 });
    await using gw = await gateway({ ...keyed(p.url), auth: undefined });
    for (let i = 0; i < 4; i++) await (await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: chat("chat", { max_tokens: 3, stream_options: { include_usage: true } }) })).text();
    await (await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: chat("chat", { max_tokens: 3, stream: false }) })).text();
    await (await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: chat("nope") })).text();
    const labels = { gen_ai_request_model: "chat", gen_ai_provider_name: "primary" };
    expect(await metricSum(gw.url, "gen_ai_client_operation_duration_seconds_count", labels)).toBe(5);
    expect(await metricSum(gw.url, "gen_ai_client_operation_time_to_first_chunk_seconds_count", labels)).toBe(4);
    expect(await metricSum(gw.url, "gen_ai_client_token_usage_sum", { ...labels, gen_ai_token_type: "output" })).toBe(15);
    expect(await metricSum(gw.url, "aire_gateway_upstream_attempts_total", { provider: "primary", result: "ok" })).toBe(5);
    expect(await metricSum(gw.url, "aire_gateway_requests_total", { status: "404" })).toBe(1);
    expect(await metricSum(gw.url, "aire_gateway_breaker_state", { provider: "primary" })).toBe(0);
  });
});
