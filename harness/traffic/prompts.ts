/**
 * Prompts drawn with @faker-js/faker from the scenario's seed, sized to a target token count as
 * the providers count it: gpt-tokenizer's `o200k_base` and OpenAI's chat formula.
 *
 * A book holds a few thousand words of English faker text with each word's token count (with its
 * leading space) and their running sums. A prompt of n tokens is the run of words starting at a
 * random word (wrapping) whose tokens add up to n minus the chat format's own tokens — found by
 * binary search and cut from the joined text, so drawing one is cheap for any n.
 * @module
 */
// The English-only entry point loads far faster than the all-locales bundle. Seeding the shared
// instance is safe: every use below is synchronous, seed then draw.
import { faker } from "@faker-js/faker/locale/en";

export class PromptBook {
  readonly #text: string;
  /** Character index of each word's start; one extra entry past the end. */
  readonly #starts: number[];
  /** Tokens of words [0, i): one entry per word plus one. */
  readonly #cumulative: number[];
  /** Tokens the chat format adds around a user message. */
  readonly #overhead: number;

  private constructor(text: string, starts: number[], cumulative: number[], overhead: number) {
    this.#text = text;
    this.#starts = starts;
    this.#cumulative = cumulative;
    this.#overhead = overhead;
  }

  /** Builds a book (loads the tokenizer the first time: about a second). */
  static async create(seed: number, words = 4096): Promise<PromptBook> {
    const { countTokens, countChatTokens } = await import("../base/wire/tokens.js");
    faker.seed(seed);
    const pool: string[] = [];
    const sources = [() => faker.hacker.phrase(), () => faker.company.catchPhrase(), () => faker.commerce.productDescription()];
    for (let i = 0; pool.length < words; i++) pool.push(...sources[i % sources.length]!().replace(/[.!?]$/, "").split(" ").filter(Boolean));
    pool.length = words;
    const text = pool.join(" ");
    const starts: number[] = [];
    const cumulative = [0];
    let at = 0;
    for (const w of pool) {
      starts.push(at);
      at += w.length + 1;
      cumulative.push(cumulative.at(-1)! + countTokens(` ${w}`));
    }
    starts.push(text.length + 1);
    return new PromptBook(text, starts, cumulative, countChatTokens([{ role: "user", content: "" }]));
  }

  /** A prompt of about `tokens` tokens (never fewer than one word). */
  prompt(tokens: number, random: () => number): string {
    const count = this.#starts.length - 1;
    let left = Math.max(1, tokens - this.#overhead);
    let i = Math.floor(random() * count);
    const parts: string[] = [];
    while (left > 0) {
      // The first j > i with cumulative[j] − cumulative[i] ≥ left, or the end of the pool.
      let lo = i + 1;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#cumulative[mid]! - this.#cumulative[i]! >= left) hi = mid;
        else lo = mid + 1;
      }
      parts.push(this.#text.slice(this.#starts[i], this.#starts[lo]! - 1));
      left -= this.#cumulative[lo]! - this.#cumulative[i]!;
      i = 0;
    }
    return parts.join(" ");
  }
}
