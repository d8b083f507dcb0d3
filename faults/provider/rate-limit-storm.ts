/**
 * `rate-limit-storm`: a quota exhausted upstream. Either a share of requests answered 429
 * rate_limit_exceeded with Retry-After (fraction mode), or the per-key limits squeezed so the
 * traffic's own load drains them into 429s (quota-squeeze mode: give `rpm` and/or `tpm`).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: rate-limit-storm, provider: primary, fraction: 90%, retryAfter: 2s }
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction, identifier } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("rate-limit-storm"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  fraction: fraction.prefault(1).meta({ description: "Fraction mode: this share of requests gets a 429 at once.", example: "50%" }),
  retryAfter: duration.prefault("1s").meta({ description: "What the fraction mode's 429s ask clients to wait (retry-after, retry-after-ms).", example: "2s" }),
  rpm: z.number().positive().optional().meta({ description: "Quota-squeeze mode: the per-key requests per minute drop to this; the 429s and their retry-after then come from the load itself.", example: 60 }),
  tpm: z.number().positive().optional().meta({ description: "Quota-squeeze mode: the per-key tokens per minute drop to this.", example: 20000 }),
});

export const rateLimitStorm: FaultDefinition<typeof params> = {
  kind: "rate-limit-storm",
  params,
  describe: (p) =>
    p.rpm !== undefined || p.tpm !== undefined
      ? `quota of provider "${p.provider}" squeezed to ${[p.rpm !== undefined ? `${p.rpm} requests/min` : "", p.tpm !== undefined ? `${p.tpm} tokens/min` : ""].filter(Boolean).join(" and ")} per key`
      : `429 rate_limit_exceeded (Retry-After ${formatDuration(p.retryAfter)}) from provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) =>
    setBehaviours(
      ctx,
      p.provider,
      p.rpm !== undefined || p.tpm !== undefined
        ? [{ type: "quota" as const, ...(p.rpm !== undefined ? { rpm: p.rpm } : {}), ...(p.tpm !== undefined ? { tpm: p.tpm } : {}) }]
        : [{ type: "error" as const, status: 429 as const, fraction: p.fraction, retryAfterMs: Math.round(p.retryAfter) }],
    ),
};
