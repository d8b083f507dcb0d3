/**
 * `provider-latency`: TTFT inflation and decode slowdown on a provider's pods (a slow model, a GPU under pressure).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: provider-latency, provider: primary, ttft: 1.5s, decodeSlowdown: 3 }
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction, identifier } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("provider-latency"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  ttft: duration.prefault("0ms").meta({ description: "Added to the time to first token.", example: "600ms" }),
  ttftFactor: z.number().positive().default(1).meta({ description: "Multiplies the time to first token.", example: 3 }),
  decodeSlowdown: z.number().min(1).default(1).meta({ description: "Divides the decode speed (2: half as fast).", example: 2 }),
  fraction: fraction.prefault(1).meta({ description: "The share of requests slowed.", example: "30%" }),
});

export const providerLatency: FaultDefinition<typeof params> = {
  kind: "provider-latency",
  params,
  describe: (p) => [p.ttft > 0 ? `TTFT +${formatDuration(p.ttft)}` : "", p.ttftFactor !== 1 ? `TTFT ×${p.ttftFactor}` : "", p.decodeSlowdown > 1 ? `decode ${p.decodeSlowdown}× slower` : ""].filter(Boolean).join(", ") + ` on provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [
      { type: "ttft" as const, fraction: p.fraction, addMs: p.ttft, factor: p.ttftFactor },
      ...(p.decodeSlowdown > 1 ? [{ type: "decode-slowdown" as const, fraction: p.fraction, factor: p.decodeSlowdown }] : []),
    ]),
};
