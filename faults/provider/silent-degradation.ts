/**
 * `silent-degradation`: 200 OK with degraded content: empty, one word repeated, or off-topic (ignores instructions and schemas).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: silent-degradation, provider: primary, mode: off-topic, fraction: 20% }
 * @module
 */
import { z } from "zod";
import { closed, fraction, identifier } from "../../harness/base/fields.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("silent-degradation"),
  provider: identifier,
  mode: z.enum(["empty", "repeat", "off-topic"]).default("off-topic"),
  fraction: fraction.prefault(1),
});

export const silentDegradation: FaultDefinition<typeof params> = {
  kind: "silent-degradation",
  params,
  describe: (p) => `${p.mode} answers (still 200) from provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "degrade" as const, mode: p.mode, fraction: p.fraction }]),
};
