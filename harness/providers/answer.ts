/**
 * What a pod answers, decided once per request and fully determined by the seed and the prompt:
 * - "reply with exactly: <nonce>" → the nonce (so quality checks can verify it, on real models too);
 * - `response_format: json_schema` → a JSON document that conforms to the schema;
 * - otherwise words from a seeded vocabulary, as many as min(max_tokens, a lognormal draw).
 * Degraded modes keep the 200 but break these promises (the silent failures quality SLIs catch).
 * @module
 */
import { faker } from "@faker-js/faker/locale/en";
import { hashString, seededRandom, type Random } from "../random/prng.js";
import { textOf } from "./tokens.js";

export interface AnswerPlan {
  tokens: string[];
  finish: "stop" | "length";
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
    this.#vocabulary = Array.from({ length: 1024 }, () => faker.lorem.word());
  }

  plan(messages: readonly { role: string; content: unknown }[], maxTokens: number | undefined, responseFormat: unknown, degrade?: "empty" | "repeat" | "off-topic"): AnswerPlan {
    const prompt = messages.map((m) => textOf(m.content)).join("\n");
    const random = seededRandom(hashString(prompt, this.seed));
    const limit = maxTokens ?? Number.POSITIVE_INFINITY;
    const cap = (tokens: string[]): AnswerPlan => (tokens.length > limit ? { tokens: tokens.slice(0, limit), finish: "length" } : { tokens, finish: "stop" });
    if (degrade === "empty") return { tokens: [], finish: "stop" };
    const drawn = Math.max(1, Math.round(lognormal(random, this.length.median, this.length.p99)));
    if (degrade === "repeat") return cap(Array.from({ length: Math.min(drawn, limit) }, () => ` ${this.#vocabulary[0]}`));
    if (degrade !== "off-topic") {
      const lastUser = [...messages].reverse().find((m) => m.role === "user");
      const nonce = lastUser ? NONCE.exec(textOf(lastUser.content))?.[1] : undefined;
      if (nonce) return cap(pieces(nonce));
      const schema = jsonSchemaOf(responseFormat);
      if (schema !== undefined) return cap(pieces(JSON.stringify(generate(schema, random, this.#vocabulary, 0))));
    }
    const words = Array.from({ length: Math.min(drawn, limit) }, () => ` ${this.#vocabulary[Math.floor(random() * this.#vocabulary.length)]}`);
    return { tokens: words, finish: drawn >= limit ? "length" : "stop" };
  }
}

/** A lognormal draw with the given median and 99th percentile. */
export function lognormal(random: Random, median: number, p99: number): number {
  const sigma = p99 > median ? Math.log(p99 / median) / 2.3263 : 0;
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * z);
}

/** Splits text into token-sized pieces (about four characters, as BPE does for English). */
function pieces(text: string): string[] {
  return text.match(/.{1,4}/gs) ?? [];
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
