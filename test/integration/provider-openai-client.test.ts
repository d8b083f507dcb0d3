import OpenAI from "openai";
import { describe, expect, test } from "vitest";
import { provider } from "../helpers/stack.js";

describe("the official openai client against the synthetic provider", () => {
  test("non-stream: a typed completion with usage", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 5000 });
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: "sim", messages: [{ role: "user", content: "Reply with exactly: ok-123" }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message).toMatchObject({ role: "assistant", content: "ok-123" });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(completion._request_id).toMatch(/^req_/);
  });

  test("stream: deltas, finish_reason, and the choices:[] usage chunk", async () => {
    await using p = await provider({ model: "sim", ttftMs: 1, decodeTokensPerSec: 5000 });
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "sim", messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.choices.length === 0) usage = chunk.usage;
    }
    expect(text.trim().split(" ")).toHaveLength(6);
    expect(finish).toBe("length");
    expect(usage?.completion_tokens).toBe(6);
  });

  test.each([
    ["BadRequestError", 400, { model: "sim", messages: [] as never[] }, {}],
    ["AuthenticationError", 401, { model: "sim", messages: [{ role: "user" as const, content: "x" }] }, { apiKeys: ["other"] }],
    ["NotFoundError", 404, { model: "nope", messages: [{ role: "user" as const, content: "x" }] }, {}],
    ["RateLimitError", 429, { model: "sim", messages: [{ role: "user" as const, content: "x" }] }, { rateLimit: { rpm: 1 } }],
    ["InternalServerError", 503, { model: "sim", messages: [{ role: "user" as const, content: "x" }] }, { slots: 1, maxQueue: 0, ttftMs: 300 }],
  ])("%s for a %i", async (errorClass, status, body, config) => {
    await using p = await provider({ model: "sim", ...config });
    const client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: "k", maxRetries: 0 });
    // For 429 and 503, a first request takes the one request / the one slot.
    const first = status === 429 || status === 503 ? client.chat.completions.create({ model: "sim", messages: [{ role: "user", content: "first" }], max_tokens: 1 }) : undefined;
    if (status === 429) await first;
    const error = await client.chat.completions.create(body).then(() => undefined, (e: unknown) => e);
    await first;
    expect((error as Error).constructor.name).toBe(errorClass);
    expect((error as { status: number }).status).toBe(status);
    expect((error as { error?: { type?: string } }).error?.type).toBeTruthy();
  });
});
