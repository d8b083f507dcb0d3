/**
 * `capacity-loss`: GPU degradation: each pod loses slots, so fewer sequences run at once and the rest queue.
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: capacity-loss, provider: primary, slots: 6 }
 * @module
 */
import { z } from "zod";
import { closed, identifier } from "../../harness/base/fields.js";
import { setBehaviours } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("capacity-loss"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  slots: z.number().int().positive().meta({ description: "Batch slots lost on every pod.", example: 4 }),
});

export const capacityLoss: FaultDefinition<typeof params> = {
  kind: "capacity-loss",
  params,
  describe: (p) => `provider "${p.provider}" loses ${p.slots} slot(s) per pod`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "slot-loss" as const, lost: p.slots }]),
};
