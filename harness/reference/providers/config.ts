/** The synthetic provider's configuration (`aire serve provider --config FILE`). @module */
import { z } from "zod";

export const providerConfigSchema = z.strictObject({
  name: z.string().default("provider"),
  model: z.string().default("sim-model"),
  /** Base time to first token, ms, before queueing and prefill. */
  ttftMs: z.number().nonnegative().default(80),
  prefillTokensPerSec: z.number().positive().default(20_000),
  /** Decode speed of one sequence alone; falls as the batch fills (see engine.ts). */
  decodeTokensPerSec: z.number().positive().default(50),
  batchPenalty: z.number().nonnegative().default(0.05),
  /** Concurrent sequences per pod. */
  slots: z.number().int().positive().default(8),
  /** Requests that may wait for a slot, per pod; past it the request is refused. */
  maxQueue: z.number().int().nonnegative().default(64),
  /** How a full queue refuses: 503 (overloaded) or 429. */
  queueFullStatus: z.union([z.literal(503), z.literal(429)]).default(503),
  /** prompt + max_tokens above this → 400 context_length_exceeded. */
  contextWindow: z.number().int().positive().default(128_000),
  /** Natural answer length (lognormal), capped by max_tokens. */
  outputTokens: z.strictObject({ median: z.number().positive(), p99: z.number().positive() }).default({ median: 200, p99: 800 }),
  seed: z.number().int().default(1),
  /** Largest accepted request body, bytes. */
  bodyLimit: z.number().int().positive().default(4 * 1024 * 1024),
  /** Per API key limits. */
  rateLimit: z.strictObject({ rpm: z.number().positive().optional(), tpm: z.number().positive().optional() }).default({}),
  /** When set, only these API keys are accepted (401 invalid_api_key otherwise). */
  apiKeys: z.array(z.string()).optional(),
  /** Bearer token of the admin API; without it the admin API is closed. */
  adminToken: z.string().optional(),
  /** 0: serve in this process; N: N pod processes behind this front. */
  pods: z.number().int().nonnegative().max(64).default(0),
  /** How long a (re)started pod takes to load its model before it is ready. */
  coldStartMs: z.number().nonnegative().default(0),
  /**
   * Whether pods build the tokenizer as they start (the default) or when an answer first needs
   * exact token pieces (a canary, a JSON-schema answer, a tool call): about 0.4 s of CPU a pod,
   * which that one answer would then wait for. The reference stack turns it off for traffic that
   * asks for none (plain answers are single-token words). The front counts every prompt, so it
   * always builds it at start.
   */
  tokenizerAtStart: z.boolean().default(true),
});

export type ProviderConfig = z.output<typeof providerConfigSchema>;
