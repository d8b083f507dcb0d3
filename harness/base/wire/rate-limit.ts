/**
 * Requests-per-minute and tokens-per-minute buckets per API key, as OpenAI enforces them: each
 * bucket holds a minute's limit and refills continuously, so a storm of 429s emerges from the
 * traffic's own load. Answers carry OpenAI's `x-ratelimit-*` headers (Go-style reset durations),
 * and a 429 also `retry-after`, `retry-after-ms` and `x-should-retry`.
 * @module
 */
import { goDuration } from "./go-duration.js";

export interface RateLimitConfig {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

class Bucket {
  #level: number;
  #last: number;

  constructor(
    readonly limit: number,
    now: number,
  ) {
    this.#level = limit;
    this.#last = now;
  }

  #refill(now: number): void {
    this.#level = Math.min(this.limit, this.#level + ((now - this.#last) * this.limit) / 60_000);
    this.#last = now;
  }

  /** ms until `amount` is available (0: available now). */
  waitFor(amount: number, now: number): number {
    this.#refill(now);
    return this.#level >= amount ? 0 : ((amount - this.#level) * 60_000) / this.limit;
  }

  take(amount: number): void {
    this.#level -= amount;
  }

  remaining(now: number): number {
    this.#refill(now);
    return Math.max(0, Math.floor(this.#level));
  }

  /** ms until the bucket is full again. */
  resetMs(now: number): number {
    this.#refill(now);
    return ((this.limit - this.#level) * 60_000) / this.limit;
  }
}

export type RateDecision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; headers: Record<string, string>; retryAfterMs: number; limitedBy: "requests" | "tokens"; message: string };

export class RateLimiter {
  readonly #keys = new Map<string, { requests?: Bucket; tokens?: Bucket }>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly model: string,
    private readonly now: () => number = () => performance.now(),
    /** Who the limit belongs to, as the 429 message names it. */
    private readonly scope = "organization org-aire",
  ) {}

  get enabled(): boolean {
    return this.config.rpm !== undefined || this.config.tpm !== undefined;
  }

  /** Charges one request of `tokens` (prompt + max output) to `key`, or refuses it. */
  check(key: string, tokens: number): RateDecision {
    const now = this.now();
    let buckets = this.#keys.get(key);
    if (!buckets) {
      buckets = {
        ...(this.config.rpm !== undefined ? { requests: new Bucket(this.config.rpm, now) } : {}),
        ...(this.config.tpm !== undefined ? { tokens: new Bucket(this.config.tpm, now) } : {}),
      };
      this.#keys.set(key, buckets);
    }
    const waitRequests = buckets.requests?.waitFor(1, now) ?? 0;
    const waitTokens = buckets.tokens?.waitFor(tokens, now) ?? 0;
    if (waitRequests === 0 && waitTokens === 0) {
      buckets.requests?.take(1);
      buckets.tokens?.take(tokens);
      return { ok: true, headers: this.#headers(buckets, now) };
    }
    const limitedBy = waitTokens > waitRequests ? "tokens" : "requests";
    const retryAfterMs = Math.ceil(Math.max(waitRequests, waitTokens));
    const headers = {
      ...this.#headers(buckets, now),
      "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      "retry-after-ms": String(retryAfterMs),
      "x-should-retry": "true",
    };
    const bucket = limitedBy === "tokens" ? buckets.tokens! : buckets.requests!;
    const used = bucket.limit - bucket.remaining(now);
    const what = limitedBy === "tokens" ? "tokens per min (TPM)" : "requests per min (RPM)";
    const message = `Rate limit reached for ${this.model} in ${this.scope} on ${what}: Limit ${bucket.limit}, Used ${used}, Requested ${limitedBy === "tokens" ? tokens : 1}. Please try again in ${goDuration(retryAfterMs)}. Visit https://platform.openai.com/account/rate-limits to learn more.`;
    return { ok: false, headers, retryAfterMs, limitedBy, message };
  }

  #headers(buckets: { requests?: Bucket; tokens?: Bucket }, now: number): Record<string, string> {
    const h: Record<string, string> = {};
    if (buckets.requests) {
      h["x-ratelimit-limit-requests"] = String(buckets.requests.limit);
      h["x-ratelimit-remaining-requests"] = String(buckets.requests.remaining(now));
      h["x-ratelimit-reset-requests"] = goDuration(Math.ceil(buckets.requests.resetMs(now)));
    }
    if (buckets.tokens) {
      h["x-ratelimit-limit-tokens"] = String(buckets.tokens.limit);
      h["x-ratelimit-remaining-tokens"] = String(buckets.tokens.remaining(now));
      h["x-ratelimit-reset-tokens"] = goDuration(Math.ceil(buckets.tokens.resetMs(now)));
    }
    return h;
  }
}
