/**
 * Issue 18, defect 14: a synthetic provider's answer tokenizes to exactly the `usage` it reports,
 * as a real provider's does (client-side token estimates, TPM budgets and cost rely on it), and
 * the streamed text is the non-streamed text. Counted with o200k_base, in-process and through a
 * pod process, for plain answers, canary nonces, JSON-schema answers and tool-call arguments.
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, test } from "vitest";
import { canaryTokens, QualityPlanner } from "../../harness/traffic/quality.js";
import { provider } from "../helpers/stack.js";

type Body = Record<string, unknown>;
const ask = (content: string, extra: Body = {}): Body => ({ model: "m", messages: [{ role: "user", content }], ...extra });

async function streamed(url: string, body: Body): Promise<{ text: string; usage: number; chunks: number }> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }) });
  expect(res.status).toBe(200);
  let text = "";
  let usage = -1;
  let chunks = 0;
  for (const frame of (await res.text()).split("\n\n")) {
    const data = frame.replace(/^data: /, "");
    if (!data || data === "[DONE]") continue;
    const chunk = JSON.parse(data);
    const delta = chunk.choices?.[0]?.delta;
    const piece = delta?.content ?? delta?.tool_calls?.[0]?.function?.arguments;
    if (typeof piece === "string" && piece !== "") {
      text += piece;
      chunks++;
    }
    if (chunk.usage) usage = chunk.usage.completion_tokens;
  }
  return { text, usage, chunks };
}

async function whole(url: string, body: Body): Promise<{ text: string; usage: number }> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  const json = (await res.json()) as { choices: { message: { content: string | null; tool_calls: { function: { arguments: string } }[] } }[]; usage: { completion_tokens: number } };
  const message = json.choices[0]!.message;
  return { text: message.content ?? message.tool_calls[0]!.function.arguments, usage: json.usage.completion_tokens };
}

const cases: [string, Body][] = [
  ["plain words, max_tokens 16", ask("Tell me about chaos engineering.", { max_tokens: 16 })],
  ["plain words, a natural length", ask("Write a short note on retries.")],
  ["a canary nonce", ask("Summarize this.\n\nreply with exactly: aire-3f2a9c01", { max_tokens: 32 })],
  ["a JSON-schema answer", ask("Give me a record.", { response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object", properties: { name: { type: "string" }, count: { type: "integer" }, tags: { type: "array", items: { type: "string" } } }, required: ["name", "count"] } } } })],
  ["tool-call arguments", ask("Look it up.", { tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { query: { type: "string" }, limit: { type: "integer" } } } } }], tool_choice: "required" })],
];

test("a canary nonce costs exactly the tokens the loader budgets for it, so a small max_tokens still carries it", () => {
  const planner = new QualityPlanner({ canary: true });
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 200; i++) {
    const nonce = /reply with exactly: (\S+)$/.exec(planner.plan(random).suffix)![1]!;
    expect(countTokens(nonce)).toBe(canaryTokens);
  }
});

describe.each([0, 1])("a provider with %i pod process(es)", (pods) => {
  test.each(cases)("%s: the text tokenizes to usage.completion_tokens, one token a chunk, streamed = not streamed", async (_name, body) => {
    await using p = await provider({ model: "m", pods, ttftMs: 1, decodeTokensPerSec: 5000, seed: 11 });
    const s = await streamed(p.url, body);
    const w = await whole(p.url, body);
    expect(s.usage).toBeGreaterThan(0);
    expect(countTokens(s.text)).toBe(s.usage);
    expect(s.chunks).toBe(s.usage);
    expect(w.text).toBe(s.text);
    expect(w.usage).toBe(s.usage);
    expect(s.text.startsWith(" ")).toBe(false);
    if ((body.max_tokens as number | undefined) === 16) expect(s.usage).toBe(16);
  });
});
