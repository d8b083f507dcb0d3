import { describe, expect, test } from "vitest";
import { chat, provider } from "../helpers/stack.js";
import { onQuietMachine } from "../helpers/machine.js";

const post = (url: string, body: string) => fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("synthetic provider", () => {
  test("streams OpenAI chunks: role, content deltas, finish_reason, usage, [DONE]", async () => {
    await using p = await provider({ model: "m", ttftMs: 10, decodeTokensPerSec: 1000 });
    const res = await post(p.url, chat("m", { max_tokens: 4, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = (await res.text()).split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    const content = chunks.filter((c) => c.choices[0]?.delta?.content);
    expect(content).toHaveLength(4);
    expect(chunks.at(-2).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "length" });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 4, total_tokens: chunks.at(-1).usage.prompt_tokens + 4 } });
    expect(content.every((c) => c.usage === null)).toBe(true);
  });

  test("time to first token and decode rate are what it is configured for", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      await using p = await provider({ model: "m", ttftMs: 200, decodeTokensPerSec: 50 });
      const started = performance.now();
      const res = await post(p.url, chat("m", { max_tokens: 11 }));
      const reader = res.body!.getReader();
      const times: number[] = [];
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += new TextDecoder().decode(value);
        const n = (buffer.match(/"content":"[^"]+"/g) ?? []).length;
        while (times.length < n) times.push(performance.now() - started);
      }
      expect(times).toHaveLength(11);
      expect(times[0]).toBeGreaterThanOrEqual(199);
      expect(times[0]).toBeLessThan(260);
      const perToken = (times.at(-1)! - times[0]!) / 10;
      expect(perToken).toBeGreaterThan(18);
      expect(perToken).toBeLessThan(24);
    });
  }, 60_000);

  test("same seed and prompt give the same answer; another seed another", async () => {
    const body = chat("m", { stream: false, max_tokens: 8 });
    const answer = async (seed: number) => {
      await using p = await provider({ model: "m", ttftMs: 0, decodeTokensPerSec: 5000, seed });
      const res = await post(p.url, body);
      return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    };
    const [a, b, c] = [await answer(1), await answer(1), await answer(2)];
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.split(" ")).toHaveLength(8);
  });

  test.each(([
    ["malformed JSON", "{not json", 400, "invalid_request_error", null],
    ["no messages", JSON.stringify({ model: "m" }), 400, "invalid_request_error", null],
    ["wrong type", JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], stream: "yes" }), 400, "invalid_request_error", null],
    ["unknown model", chat("nope"), 404, "invalid_request_error", "model_not_found"],
    ["body over the limit", JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(3000) }] }), 413, "invalid_request_error", "request_too_large"],
  ] as [string, string, number, string, string | null][]).map(([name, body, status, type, code]) => ({ name, body, status, type, code })))("$name → $status in OpenAI's error shape, and the next request is served", async ({ body, status, type, code }) => {
    await using p = await provider({ model: "m", ttftMs: 0, bodyLimit: 2048 });
    const res = await post(p.url, body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(json.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(json.error).toMatchObject({ type, code });
    expect((await post(p.url, chat("m"))).status).toBe(200);
  });
});
