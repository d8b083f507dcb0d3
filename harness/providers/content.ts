/**
 * Deterministic answer text: a vocabulary drawn once from faker with the provider's seed, and a
 * per-request generator seeded by the prompt, so the same seed and prompt give the same tokens.
 * @module
 */
// The English-only entry point loads far faster than the all-locales bundle. Seeding the shared
// instance is safe: every use below is synchronous, seed then draw.
import { faker } from "@faker-js/faker/locale/en";
import { hashString, seededRandom } from "../random/prng.js";

export class ContentSource {
  readonly #vocabulary: string[];
  readonly #seed: number;

  constructor(seed: number) {
    faker.seed(seed);
    this.#vocabulary = Array.from({ length: 1024 }, () => faker.lorem.word());
    this.#seed = seed;
  }

  /** `count` tokens for a prompt; each token is one word with its leading space. */
  tokens(prompt: string, count: number): string[] {
    const random = seededRandom(hashString(prompt, this.#seed));
    return Array.from({ length: count }, () => ` ${this.#vocabulary[Math.floor(random() * this.#vocabulary.length)]}`);
  }
}

/**
 * Approximate prompt token count: words and punctuation marks (close to BPE counts for English
 * prose). A real tokenizer replaces this with the provider fleet work.
 */
export function countPromptTokens(messages: readonly { content: unknown }[]): number {
  let count = 0;
  for (const m of messages) {
    const text = typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? "");
    count += 4 + (text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g)?.length ?? 0);
  }
  return count + 3;
}

export function promptText(messages: readonly { content: unknown }[]): string {
  return messages.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? ""))).join("\n");
}
