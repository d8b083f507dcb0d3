/** The synthetic provider's configuration (`aire serve provider --config FILE`). @module */
import { z } from "zod";

export const providerConfigSchema = z.strictObject({
  name: z.string().default("provider"),
  model: z.string().default("sim-model"),
  /** Base time to first token, ms, before prefill. */
  ttftMs: z.number().nonnegative().default(80),
  prefillTokensPerSec: z.number().positive().default(20_000),
  decodeTokensPerSec: z.number().positive().default(50),
  /** Output length when the request gives no max_tokens. */
  defaultMaxTokens: z.number().int().positive().default(256),
  seed: z.number().int().default(1),
  /** Largest accepted request body, bytes. */
  bodyLimit: z.number().int().positive().default(4 * 1024 * 1024),
});

export type ProviderConfig = z.output<typeof providerConfigSchema>;
