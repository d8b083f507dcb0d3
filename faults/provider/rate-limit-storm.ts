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
  provider: identifier,
  /** Fraction mode: this share of requests gets a 429 at once. */
  fraction: fraction.prefault(1),
  /** What the fraction-mode 429s ask clients to wait (retry-after, retry-after-ms). */
  retryAfter: duration.prefault("1s"),
  /** Quota-squeeze mode: the per-key limits drop to these; 429s (and their Retry-After) then come from the load itself. */
  rpm: z.number().positive().optional(),
  tpm: z.number().positive().optional(),
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
