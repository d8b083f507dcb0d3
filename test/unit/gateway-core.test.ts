/**
 * The gateway core's decisions, without sockets: the core runs over a scripted `Upstream` that
 * answers each provider's calls from a list and records them.
 */
import { describe, expect, test } from "vitest";
import { Abort } from "../../harness/reference/gateway/abort.js";
import { gatewayConfig, type GatewayConfigInput } from "../../harness/reference/gateway/config.js";
import { GatewayCore, type GatewayResponse } from "../../harness/reference/gateway/core.js";
import type { Upstream, UpstreamResponse } from "../../harness/reference/gateway/upstream.js";

type Scripted = { status: number; headers?: Record<string, string>; body: string } | "refuse";

function scripted(script: Record<string, Scripted[]>): Upstream & { calls: string[]; payloads: string[] } {
  const calls: string[] = [];
  const payloads: string[] = [];
  return {
    calls,
    payloads,
    async send(provider, payload) {
      calls.push(provider);
      payloads.push(payload);
      const list = script[provider]!;
      const next = list.length > 1 ? list.shift()! : list[0]!;
      if (next === "refuse") throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      const body = Buffer.from(next.body);
      const response: UpstreamResponse = { status: next.status, headers: next.headers ?? {}, body: (async function* () { yield body; })(), collect: async () => body, discard() {} };
      return response;
    },
    async close() {},
  };
}

const ok = { status: 200, body: JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "fine" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1 } }) };
const error = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: JSON.stringify({ error: { message: `status ${status}`, type: "server_error", param: null, code: null } }) });
const sse = (...frames: object[]) => ({ status: 200, body: [...frames.map((f) => `data: ${JSON.stringify(f)}\n\n`), "data: [DONE]\n\n"].join("") });

function core(upstream: Upstream, policy: GatewayConfigInput["policy"] = {}, providers = ["a", "b"]) {
  return new GatewayCore(gatewayConfig({ providers: providers.map((name) => ({ name, url: "http://127.0.0.1:1", model: `m-${name}` })), routes: { chat: providers }, policy }), upstream);
}

const request = (extra: object = {}) => ({ method: "POST", url: "/v1/chat/completions", headers: {}, body: Buffer.from(JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], ...extra })) });

async function text(r: GatewayResponse): Promise<string> {
  if (r.stream === undefined) return r.body.toString();
  let out = "";
  for await (const chunk of r.stream) out += chunk.toString();
  return out;
}

describe("gateway core (no sockets)", () => {
  test("the model name is rewritten per provider (spliced or rebuilt, the rest untouched) and the answer attributed", async () => {
    const up = scripted({ a: ["refuse"], b: [ok] });
    const r = await core(up, { breaker: false }).handle(request({ temperature: 0.5, user: '"model":"chat"' }), new Abort());
    expect([r.status, r.headers["x-aire-provider"], r.headers["x-aire-attempts"]]).toEqual([200, "b", "2"]);
    expect(up.calls).toEqual(["a", "b"]);
    expect(up.payloads.map((p) => JSON.parse(p))).toEqual(["m-a", "m-b"].map((model) => ({ model, messages: [{ role: "user", content: "hi" }], temperature: 0.5, user: '"model":"chat"' })));
    const spaced = { ...request(), body: Buffer.from('{ "model" : "chat", "messages": [{"role": "user", "content": "hi"}] }') };
    await core(up, {}, ["b"]).handle(spaced, new Abort());
    expect(JSON.parse(up.payloads.at(-1)!)).toEqual({ model: "m-b", messages: [{ role: "user", content: "hi" }] });
  });

  test("x-should-retry: false is obeyed even on a 503; a 400 is the caller's and is passed through unretried", async () => {
    for (const failure of [error(503, { "x-should-retry": "false" }), error(400)]) {
      const up = scripted({ a: [failure], b: [ok] });
      const r = await core(up).handle(request(), new Abort());
      expect([r.status, r.headers["x-aire-attempts"]]).toEqual([failure.status, "1"]);
      expect(up.calls).toEqual(["a"]);
    }
  });

  test("connection refused everywhere: every attempt is made, then a 502 upstream_unavailable", async () => {
    const up = scripted({ a: ["refuse"], b: ["refuse"] });
    const r = await core(up, { retries: { maxAttempts: 3, backoffBase: "1ms", backoffMax: "2ms" }, breaker: false }).handle(request(), new Abort());
    expect([r.status, r.headers["x-aire-attempts"], JSON.parse(await text(r)).error.code]).toEqual([502, "3", "upstream_unavailable"]);
    // The third goes back to whichever of the two has the shorter (jittered) backoff.
    expect(up.calls.slice(0, 2)).toEqual(["a", "b"]);
    expect(up.calls).toHaveLength(3);
  });

  test("a spent retry budget ends the request with the last failure and says so", async () => {
    const up = scripted({ a: [error(502)], b: [error(502)] });
    const c = core(up, { retries: { maxAttempts: 3, budget: { ratio: 0, minPerSecond: 0 } }, breaker: false });
    const r = await c.handle(request(), new Abort());
    expect([r.status, r.headers["x-aire-attempts"], r.headers["x-aire-retry-budget"]]).toEqual([502, "1", "exhausted"]);
    expect(await c.metrics.registry.getSingleMetricAsString("aire_gateway_retry_budget_exhausted_total")).toMatch(/ 1$/m);
  });

  test("retry at one layer: an error after the gateway retried, or after its budget said no, tells clients not to retry; a first-attempt error does not", async () => {
    const retried = await core(scripted({ a: [error(503)], b: [error(503)] }), { breaker: false, retries: { backoffBase: "1ms", backoffMax: "1ms" } }).handle(request(), new Abort());
    expect([retried.status, retried.headers["x-aire-attempts"], retried.headers["x-should-retry"]]).toEqual([503, "3", "false"]);
    const refused = await core(scripted({ a: [error(503)], b: [ok] }), { breaker: false, retries: { budget: { ratio: 0, minPerSecond: 0 } } }).handle(request(), new Abort());
    expect([refused.status, refused.headers["x-aire-attempts"], refused.headers["x-should-retry"]]).toEqual([503, "1", "false"]);
    const unretried = await core(scripted({ a: [error(400)] })).handle(request(), new Abort());
    expect([unretried.status, unretried.headers["x-should-retry"]]).toEqual([400, undefined]);
    // Switched off (the naive profile's way): the client is left to retry as it likes.
    const off = await core(scripted({ a: [error(503)], b: [error(503)] }), { breaker: false, retries: { backoffBase: "1ms", backoffMax: "1ms", discourageClientRetry: false } }).handle(request(), new Abort());
    expect([off.status, off.headers["x-aire-attempts"], off.headers["x-should-retry"]]).toEqual([503, "3", undefined]);
  });

  test("the naive profile does not track retry-after cool-downs: the next request is forwarded, not refused with a local 429", async () => {
    const up = scripted({ a: [error(503, { "retry-after": "1" }), ok] });
    const naive = new GatewayCore(gatewayConfig({ providers: [{ name: "a", url: "http://127.0.0.1:1", model: "m-a" }], routes: { chat: ["a"] }, profile: "naive" }), up);
    expect((await naive.handle(request(), new Abort())).status).toBe(503);
    expect((await naive.handle(request(), new Abort())).status).toBe(200);
    expect(up.calls).toEqual(["a", "a"]);
  });

  test("max ejection: the last closed breaker of two does not open, so the partly working provider keeps serving; maxOpen 100% lets both open and refuses", async () => {
    const policy = (maxOpen: number) => ({ breaker: { consecutiveFailures: 1, openFor: "5s", maxOpen }, retries: { maxAttempts: 2, backoffBase: "1ms", backoffMax: "1ms" } });
    const guarded = core(scripted({ a: [error(503)], b: [error(503), ok] }), policy(0.5));
    expect((await guarded.handle(request(), new Abort())).status).toBe(503); // a opens; b fails too but stays closed
    expect([guarded.providerState("a")!.breaker, guarded.providerState("b")!.breaker]).toEqual(["open", "closed"]);
    const served = await guarded.handle(request(), new Abort());
    expect([served.status, served.headers["x-aire-provider"], served.headers["x-aire-attempts"]]).toEqual([200, "b", "1"]);
    expect(await guarded.metrics.registry.getSingleMetricAsString("aire_gateway_breaker_open_refused_total")).toMatch(/provider="b"} 1/);
    const both = core(scripted({ a: [error(503)], b: [error(503), ok] }), policy(1));
    await both.handle(request(), new Abort());
    const refused = await both.handle(request(), new Abort());
    expect([refused.status, refused.headers["x-aire-attempts"], JSON.parse(await text(refused)).error.code]).toEqual([503, "0", "circuit_open"]);
  });

  test("per-key limits are enforced by the resilient profile and not by the naive one (keyLimits)", async () => {
    const keyed = (profile: "resilient" | "naive", keyLimits?: boolean) =>
      new GatewayCore(gatewayConfig({ providers: [{ name: "a", url: "http://127.0.0.1:1", model: "m-a" }], routes: { chat: ["a"] }, auth: { keys: [{ key: "sk-noisy-0001", name: "noisy", rpm: 2 }] }, profile, policy: keyLimits === undefined ? {} : { keyLimits } }), scripted({ a: [ok] }));
    const statuses = async (c: GatewayCore) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await c.handle({ ...request(), headers: { authorization: "Bearer sk-noisy-0001" } }, new Abort())).status);
      return out;
    };
    expect(await statuses(keyed("resilient"))).toEqual([200, 200, 429, 429]);
    expect(await statuses(keyed("naive"))).toEqual([200, 200, 200, 200]);
    expect(await statuses(keyed("naive", true))).toEqual([200, 200, 429, 429]);
  });

  test("a provider cooling down after its retry-after is skipped by later requests, which go straight to the next one", async () => {
    const up = scripted({ a: [error(429, { "retry-after-ms": "10000" }), ok], b: [ok] });
    const c = core(up, { retries: { retryAfterCap: "1s" } });
    const first = await c.handle(request(), new Abort());
    expect([first.status, first.headers["x-aire-provider"], first.headers["x-aire-attempts"]]).toEqual([200, "b", "2"]);
    const second = await c.handle(request(), new Abort());
    expect([second.status, second.headers["x-aire-provider"], second.headers["x-aire-attempts"]]).toEqual([200, "b", "1"]);
    expect(up.calls).toEqual(["a", "b", "b"]);
    expect(c.providerState("a")?.coolingMs).toBeGreaterThan(9_000);
  });

  test("a tool call is a first token: the stream is forwarded, not held or failed over", async () => {
    const toolCall = { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }] }, finish_reason: null }] };
    const up = scripted({ a: [sse({ choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] }, toolCall, { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })], b: [ok] });
    const r = await core(up).handle(request({ stream: true }), new Abort());
    expect([r.status, r.headers["x-aire-provider"]]).toEqual([200, "a"]);
    const body = await text(r);
    expect(body).toContain('"tool_calls"');
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  test("an error event before the first token falls over; the same stream without [DONE] after tokens ends with an error event", async () => {
    const content = { choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }] };
    const early = { status: 200, body: `data: ${JSON.stringify({ error: { message: "overloaded", type: "server_error" } })}\n\n` };
    const late = { status: 200, body: `data: ${JSON.stringify(content)}\n\n` };
    const up = scripted({ a: [early, late], b: [sse(content)] });
    const c = core(up, { breaker: false });
    const first = await c.handle(request({ stream: true }), new Abort());
    expect([first.headers["x-aire-provider"], (await text(first)).trimEnd().endsWith("[DONE]")]).toEqual(["b", true]);
    const second = await c.handle(request({ stream: true }), new Abort());
    const frames = (await text(second)).split("\n\n").filter(Boolean);
    expect(second.headers["x-aire-provider"]).toBe("a");
    expect(JSON.parse(frames.at(-1)!.slice(6))).toMatchObject({ error: { code: "stream_interrupted" } });
  });

  test("a stream that is never read can be cancelled: its slot and provider in-flight count are released", async () => {
    const up = scripted({ a: [sse({ choices: [{ index: 0, delta: { content: "x" }, finish_reason: null }] })] });
    const c = core(up, { concurrency: { maxInFlight: 1, maxQueue: 0 } }, ["a"]);
    const r = await c.handle(request({ stream: true }), new Abort());
    expect(c.providerState("a")?.inFlight).toBe(1);
    expect((await c.handle(request(), new Abort())).status).toBe(503); // the one slot is held
    r.stream!.cancel();
    expect(c.providerState("a")?.inFlight).toBe(0);
    expect((await c.handle(request({ stream: true }), new Abort())).status).toBe(200);
  });
});
