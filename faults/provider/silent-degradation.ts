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
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  mode: z.enum(["empty", "repeat", "off-topic"]).default("off-topic").meta({ description: "What the 200 answers become: `empty`, one word repeated (`repeat`), or words that ignore the prompt (`off-topic`: canaries and JSON schemas fail).", example: "empty" }),
  fraction: fraction.prefault(1).meta({ description: "The share of requests degraded.", example: "30%" }),
});

export const silentDegradation: FaultDefinition<typeof params> = {
  kind: "silent-degradation",
  params,
  describe: (p) => `${p.mode} answers (still 200) from provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "degrade" as const, mode: p.mode, fraction: p.fraction }]),
};
