/**
 * What requests cost: tokens priced from the scenario's `prices` table (USD per million tokens,
 * per model), so a retry storm or a token blow-up shows up as money.
 * @module
 */
import type { Sample } from "../metrics/sample.js";

export interface Price {
  /** USD per million prompt tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export class Pricing {
  readonly #prices: ReadonlyMap<string, Price>;
  readonly #requestedModel: string;

  constructor(prices: Readonly<Record<string, Price>>, requestedModel: string) {
    this.#prices = new Map(Object.entries(prices));
    this.#requestedModel = requestedModel;
  }

  get empty(): boolean {
    return this.#prices.size === 0;
  }

  /**
   * The cost of one request in USD; 0 when the target answered with an error status (nothing was
   * generated); undefined when neither the answering model nor the requested one has a price.
   */
  cost(sample: Sample): number | undefined {
    if (sample.status === null || sample.status < 200 || sample.status > 299) return 0;
    const price = (sample.model !== undefined ? this.#prices.get(sample.model) : undefined) ?? this.#prices.get(this.#requestedModel);
    if (!price) return undefined;
    return ((sample.promptTokens ?? 0) * price.input + sample.outputTokens * price.output) / 1e6;
  }
}
