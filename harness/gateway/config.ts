/** The reference gateway's configuration (`aire serve gateway --config FILE`). @module */
import { z } from "zod";

export const gatewayConfigSchema = z.strictObject({
  providers: z.array(z.strictObject({ name: z.string(), url: z.string().url(), model: z.string() })).min(1),
  /** model name → ordered provider names (the first is primary). */
  routes: z.record(z.string(), z.array(z.string()).min(1)),
  policy: z
    .strictObject({
      /** Try the route's next provider when an attempt fails before its first content token. */
      fallback: z.boolean().default(true),
      /** Abandon an attempt without a content token after this many ms (none when absent). */
      ttftTimeoutMs: z.number().positive().optional(),
      /** Abandon the whole request after this many ms (none when absent). */
      totalTimeoutMs: z.number().positive().optional(),
    })
    .prefault({}),
  bodyLimit: z.number().int().positive().default(4 * 1024 * 1024),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** The two built-in profiles: what a scenario's `gateway.profile` resolves to. */
export const gatewayProfiles = {
  resilient: { fallback: true, ttftTimeoutMs: 2000, totalTimeoutMs: 120_000 },
  naive: { fallback: false, ttftTimeoutMs: undefined, totalTimeoutMs: undefined },
} as const;
