/**
 * `stream-stall`: Streams that stop sending for a while mid-answer (what a stream idle timeout is for).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: stream-stall, provider: primary, atToken: 5, stall: 10s }
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction, identifier } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("stream-stall"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  atToken: z.number().int().nonnegative().default(3).meta({ description: "After how many tokens the stream stalls.", example: 5 }),
  stall: duration.meta({ description: "How long it stalls before going on.", example: "8s" }),
  fraction: fraction.prefault(1).meta({ description: "The share of requests that stall.", example: "30%" }),
});

export const streamStall: FaultDefinition<typeof params> = {
  kind: "stream-stall",
  params,
  describe: (p) => `streams from provider "${p.provider}" stall ${formatDuration(p.stall)} at token ${p.atToken}${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "stream-stall" as const, atToken: p.atToken, durationMs: Math.round(p.stall), fraction: p.fraction }]),
};
