/**
 * Prompts drawn with @faker-js/faker from the scenario's seed, sized to a target token count
 * (one word ≈ one token, as the synthetic providers count them).
 * @module
 */
// The English-only entry point loads far faster than the all-locales bundle. Seeding the shared
// instance is safe: every use below is synchronous, seed then draw.
import { faker } from "@faker-js/faker/locale/en";

export class PromptBook {
  readonly #prompts: string[];

  constructor(seed: number, tokens: number, variety = 32) {
    faker.seed(seed);
    this.#prompts = Array.from({ length: variety }, () => {
      const words: string[] = [];
      while (words.length < tokens) words.push(...faker.lorem.sentence().replace(/\.$/, "").toLowerCase().split(" "));
      return words.slice(0, Math.max(1, tokens - 8)).join(" ");
    });
  }

  pick(random: () => number): string {
    return this.#prompts[Math.floor(random() * this.#prompts.length)]!;
  }
}
