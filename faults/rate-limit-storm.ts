/**
 * `rate-limit-storm`: A share of requests answered 429 rate_limit_exceeded with Retry-After (a quota exhausted upstream).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: rate-limit-storm, provider: primary, fraction: 90%, retryAfter: 2s }
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction, identifier } from "../harness/scenario/fields.js";
import { formatDuration } from "../harness/units.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "./types.js";

const params = closed({
  kind: z.literal("rate-limit-storm"),
  provider: identifier,
  fraction: fraction.prefault(1),
  /** What the 429s ask clients to wait (retry-after, retry-after-ms). */
  retryAfter: duration.prefault("1s"),
});

export const rateLimitStorm: FaultDefinition<typeof params> = {
  kind: "rate-limit-storm",
  params,
  describe: (p) => `429 rate_limit_exceeded (Retry-After ${formatDuration(p.retryAfter)}) from provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "error" as const, status: 429 as const, fraction: p.fraction, retryAfterMs: Math.round(p.retryAfter) }]),
};
