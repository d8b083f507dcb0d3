/**
 * What a pod answers, decided once per request and fully determined by the seed and the prompt:
 * - "reply with exactly: <nonce>" → the nonce (so quality checks can verify it, on real models too);
 * - `response_format: json_schema` → a JSON document that conforms to the schema;
 * - otherwise words from a seeded vocabulary, as many as min(max_tokens, a lognormal draw).
 * Degraded modes keep the 200 but break these promises (the silent failures quality SLIs catch).
 * Every piece streamed is one o200k_base token, so the text tokenizes to exactly the `usage` it is
 * reported with, as a real model's does: the words are ones that are a single token with and
 * without a leading space, and any other text (a nonce, JSON) is cut where the tokenizer cuts it.
 * @module
 */
import { faker } from "@faker-js/faker/locale/en";
import { decode, encode } from "../../base/wire/o200k.js";
import { hashString, seededRandom, type Random } from "../../base/random/prng.js";
import { textOf } from "../../base/wire/text.js";
import { singleTokenWords } from "./single-token-words.js";
import type { ToolCall } from "../../base/wire/openai-wire.js";

export interface AnswerPlan {
  /** Content pieces, or the pieces of a tool call's arguments. */
  tokens: string[];
  finish: "stop" | "length" | "tool_calls";
  toolCall?: ToolCall;
}

/** The request's `tools` and `tool_choice`, as sent. */
export interface ToolRequest {
  tools: unknown;
  choice: unknown;
}

export interface OutputLength {
  median: number;
  p99: number;
}

const NONCE = /reply with exactly:\s*(\S+)/i;

export class AnswerBook {
  readonly #vocabulary: string[];

  constructor(
    private readonly seed: number,
    private readonly length: OutputLength,
  ) {
    faker.seed(seed);
    const words = singleTokenWords;
    this.#vocabulary = Array.from({ length: 1024 }, () => words[Math.floor(faker.number.float() * words.length)]!);
  }

  plan(messages: readonly { role: string; content: unknown }[], maxTokens: number | undefined, responseFormat: unknown, degrade?: "empty" | "repeat" | "off-topic", tools?: ToolRequest): AnswerPlan {
    const prompt = messages.map((m) => textOf(m.content)).join("\n");
    const random = seededRandom(hashString(prompt, this.seed));
    const limit = maxTokens ?? Number.POSITIVE_INFINITY;
    const cap = (tokens: string[]): AnswerPlan => (tokens.length > limit ? { tokens: tokens.slice(0, limit), finish: "length" } : { tokens, finish: "stop" });
    if (degrade === "empty") return { tokens: [], finish: "stop" };
    const call = degrade === undefined ? this.#toolCall(messages, tools, random) : undefined;
    if (call) {
      const tokens = pieces(JSON.stringify(generate(call.parameters, random, this.#vocabulary, 0)));
      // Arguments cut short by max_tokens are what a real model sends too: invalid JSON, finish "length".
      return tokens.length > limit ? { tokens: tokens.slice(0, limit), finish: "length", toolCall: call.toolCall } : { tokens, finish: "tool_calls", toolCall: call.toolCall };
    }
    const drawn = Math.max(1, Math.round(lognormal(random, this.length.median, this.length.p99)));
    if (degrade === "repeat") return cap(Array.from({ length: Math.min(drawn, limit) }, (_, i) => `${i === 0 ? "" : " "}${this.#vocabulary[0]}`));
    if (degrade !== "off-topic") {
      const lastUser = [...messages].reverse().find((m) => m.role === "user");
      const nonce = lastUser ? NONCE.exec(textOf(lastUser.content))?.[1] : undefined;
      if (nonce) return cap(pieces(nonce));
      const schema = jsonSchemaOf(responseFormat);
      if (schema !== undefined) return cap(pieces(JSON.stringify(generate(schema, random, this.#vocabulary, 0))));
    }
    // The first word without its space: the answer starts with a word, streamed or not.
    const words = Array.from({ length: Math.min(drawn, limit) }, (_, i) => `${i === 0 ? "" : " "}${this.#vocabulary[Math.floor(random() * this.#vocabulary.length)]}`);
    return { tokens: words, finish: drawn >= limit ? "length" : "stop" };
  }

  /**
   * Whether to answer with a tool call: when the request offers tools and asks for one
   * (`tool_choice: required` or a named function), or leaves it to the model (`auto`) while the
   * last message is the user's (after a tool result, the model answers in words).
   */
  #toolCall(messages: readonly { role: string }[], request: ToolRequest | undefined, random: Random): { toolCall: ToolCall; parameters: unknown } | undefined {
    const tools = Array.isArray(request?.tools) ? (request.tools as { function: { name: string; parameters?: unknown } }[]) : [];
    if (tools.length === 0) return undefined;
    const choice = request?.choice;
    const named = typeof choice === "object" && choice !== null ? (choice as { function?: { name?: unknown } }).function?.name : undefined;
    const wanted = named !== undefined || choice === "required" || ((choice === undefined || choice === "auto") && messages.at(-1)?.role === "user");
    if (!wanted || choice === "none") return undefined;
    const tool = tools.find((t) => t.function.name === named) ?? tools[Math.floor(random() * tools.length)]!;
    const id = `call_${Math.floor(random() * 2 ** 48).toString(36).padStart(10, "0")}`;
    return { toolCall: { id, name: tool.function.name }, parameters: tool.function.parameters ?? { type: "object", properties: {} } };
  }
}

/** A lognormal draw with the given median and 99th percentile. */
export function lognormal(random: Random, median: number, p99: number): number {
  const sigma = p99 > median ? Math.log(p99 / median) / 2.3263 : 0;
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * z);
}

/**
 * Splits text into its o200k_base tokens, one piece each: the pieces join to the text, and there
 * are as many as the tokenizer counts. (A character split across tokens stays whole in one piece.)
 */
export function pieces(text: string): string[] {
  const out: string[] = [];
  let pending: number[] = [];
  for (const token of encode(text)) {
    pending.push(token);
    const piece = decode(pending);
    if (piece.includes("\uFFFD")) continue;
    out.push(piece);
    pending = [];
  }
  if (pending.length > 0) out.push(decode(pending));
  return out;
}

function jsonSchemaOf(responseFormat: unknown): unknown {
  const rf = responseFormat as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  return rf?.type === "json_schema" ? (rf.json_schema?.schema ?? {}) : undefined;
}

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; minimum?: number; maximum?: number; const?: unknown };

/** A value that conforms to a (JSON Schema subset) schema: object, array, string, number, integer, boolean, null, enum, const. */
export function generate(schema: unknown, random: Random, words: readonly string[], depth: number): unknown {
  const s = (schema ?? {}) as Schema;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[Math.floor(random() * s.enum.length)];
  const type = Array.isArray(s.type) ? s.type[0] : (s.type ?? (s.properties ? "object" : "string"));
  const word = () => words[Math.floor(random() * words.length)]!;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(s.properties ?? {})) if (depth < 8) out[key] = generate(sub, random, words, depth + 1);
      return out;
    }
    case "array":
      return depth < 8 ? Array.from({ length: 1 + Math.floor(random() * 3) }, () => generate(s.items, random, words, depth + 1)) : [];
    case "integer": {
      const lo = s.minimum ?? 0;
      const hi = s.maximum ?? lo + 100;
      return Math.floor(lo + random() * (hi - lo + 1));
    }
    case "number":
      return Math.round(((s.minimum ?? 0) + random() * ((s.maximum ?? 100) - (s.minimum ?? 0))) * 100) / 100;
    case "boolean":
      return random() < 0.5;
    case "null":
      return null;
    default:
      return `${word()} ${word()}`;
  }
}
