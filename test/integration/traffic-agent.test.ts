/** Tool calls at the synthetic provider, and the traffic engine's rag and multi-turn agent workloads. */
import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { runTraffic, type TrafficOptions } from "../../harness/traffic/generator.js";
import { AGENT_TOOLS } from "../../harness/traffic/session.js";
import { provider } from "../helpers/stack.js";

const fast = { model: "m", ttftMs: 5, decodeTokensPerSec: 2000, prefillTokensPerSec: 1e9, slots: 64 };

describe("tool calls at the synthetic provider", () => {
  test("tool_choice required: a call with arguments that fit the tool's schema, streamed and not; after the tool's result, words", async () => {
    await using p = await provider(fast);
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "x", maxRetries: 0 });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Where is my order?" }];
    const tools = AGENT_TOOLS as unknown as OpenAI.ChatCompletionTool[];
    const whole = await client.chat.completions.create({ model: "m", messages, tools, tool_choice: { type: "function", function: { name: "get_order_status" } } });
    expect(whole.choices[0]!.finish_reason).toBe("tool_calls");
    const call = whole.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe("get_order_status");
    const args = JSON.parse(call.function.arguments) as { order_id: number };
    expect(args.order_id).toBeGreaterThanOrEqual(1000);
    expect(args.order_id).toBeLessThanOrEqual(99999);

    const stream = await client.chat.completions.create({ model: "m", messages, tools, tool_choice: "required", stream: true });
    let name = "";
    let streamed = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.tool_calls?.[0];
      if (delta?.function?.name) name = delta.function.name;
      streamed += delta?.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(AGENT_TOOLS.map((t) => t.function.name)).toContain(name);
    expect(() => JSON.parse(streamed)).not.toThrow();

    const after = await client.chat.completions.create({
      model: "m",
      tools,
      messages: [...messages, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: '{"status":"shipped"}' }],
    });
    expect(after.choices[0]!.finish_reason).not.toBe("tool_calls");
    expect(after.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });
});

describe("rag and agent workloads", () => {
  const run = async (url: string, traffic: TrafficOptions["traffic"], durationMs: number) => {
    const samples: Sample[] = [];
    await runTraffic({ baseUrl: url, traffic, seed: 9, phases: [{ name: "only", duration: durationMs }], maxRequests: 500, start: performance.now() + 20, signal: new AbortController().signal, onSample: (s) => samples.push(s) });
    return samples;
  };
  const client = { timeout: 5000, connections: 64, warmConnections: 0, retries: 0 };

  test("rag: long prompts of retrieved documents, sized as asked", async () => {
    await using p = await provider(fast);
    const samples = await run(p.url, { model: "m", arrival: { type: "constant", rate: 10 }, mix: [{ name: "rag", kind: "rag", weight: 1, stream: true, promptTokens: 3000, maxTokens: 20 }], client }, 500);
    expect(samples).toHaveLength(5);
    for (const s of samples) {
      expect(s.ok).toBe(true);
      // The provider counts the prompt with o200k_base: within 10% of the target.
      expect(Math.abs(s.promptTokens! - 3000) / 3000).toBeLessThan(0.1);
    }
  });

  test("agent: sessions of several turns, each carrying the history, with tool calls answered by a follow-up request", async () => {
    await using p = await provider(fast);
    const traffic: TrafficOptions["traffic"] = {
      model: "m",
      // Sessions start during the first second; the second leaves them time to finish.
      arrival: { type: "steps", steps: [{ rate: 4, for: 1000 }, { rate: 0, for: 1000 }] },
      mix: [{ name: "agent", kind: "agent", weight: 1, stream: true, promptTokens: 60, maxTokens: 40, session: { turns: 3, thinkTime: 30, toolCalls: 0.5 } }],
      client,
    };
    const samples = await run(p.url, traffic, 2000);
    expect(samples.every((s) => s.ok)).toBe(true);
    const sessions = new Map<number, Sample[]>();
    for (const s of samples) sessions.set(s.session!, [...(sessions.get(s.session!) ?? []), s]);
    expect(sessions.size).toBe(4);
    for (const [id, requests] of sessions) {
      requests.sort((a, b) => a.scheduledAt - b.scheduledAt);
      expect(requests[0]!.id).toBe(id);
      // Three user turns, plus one follow-up per tool call.
      const calls = requests.filter((r) => r.toolCall);
      expect(requests).toHaveLength(3 + calls.length);
      expect(requests.map((r) => r.turn)).toEqual([...requests.map((r) => r.turn)].sort());
      // Each request carries the history: the prompt only grows.
      for (let i = 1; i < requests.length; i++) expect(requests[i]!.promptTokens!).toBeGreaterThan(requests[i - 1]!.promptTokens!);
      // The next request goes one think time after the answer.
      for (let i = 1; i < requests.length; i++) expect(requests[i]!.scheduledAt).toBeGreaterThanOrEqual(requests[i - 1]!.scheduledAt + requests[i - 1]!.e2e + 29);
      for (const call of calls) expect(requests[requests.indexOf(call) + 1]!.turn).toBe(call.turn);
    }
    expect(samples.some((s) => s.toolCall)).toBe(true);
  });

  test("a tool turn answered with text is a quality error, and its session stops there", async () => {
    await using p = await provider(fast);
    p.behaviours.add({ type: "degrade", fraction: 1, mode: "off-topic" });
    const traffic: TrafficOptions["traffic"] = {
      model: "m",
      arrival: { type: "constant", rate: 2 },
      mix: [{ name: "agent", kind: "agent", weight: 1, stream: false, promptTokens: 40, maxTokens: 20, session: { turns: 3, thinkTime: 10, toolCalls: 1 } }],
      client,
    };
    const samples = await run(p.url, traffic, 1000);
    expect(samples).toHaveLength(2);
    expect(samples.every((s) => s.errorClass === "quality" && /a tool call was required/.test(s.error!))).toBe(true);
  });
});
