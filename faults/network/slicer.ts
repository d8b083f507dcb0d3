/**
 * `slicer`: a Toxiproxy `slicer` toxic on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: slicer, proxy: primary, averageSize: 64, delay: 5ms }
 * @module
 */
import { z } from "zod";
import { closed, duration } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("slicer"),
  ...toxicTargetShape,
  averageSize: z.number().int().positive().meta({ description: "The pieces' average size, in bytes.", example: 8 }),
  sizeVariation: z.number().int().nonnegative().default(0).meta({ description: "How far a piece's size may be from the average, in bytes.", example: 4 }),
  delay: duration.prefault("0ms").meta({ description: "Pause between pieces.", example: "10ms" }),
});

export const slicer: FaultDefinition<typeof params> = {
  kind: "slicer",
  params,
  describe: (p) => `${`data sliced into ~${p.averageSize}-byte pieces ${formatDuration(p.delay)} apart`} on ${toxicTarget(p)}`,
  inject: (ctx, p) => addToxic(ctx, p.proxy, { type: "slicer", stream: p.stream, toxicity: p.toxicity, attributes: { average_size: p.averageSize, size_variation: p.sizeVariation, delay: Math.round(p.delay * 1000) } }),
};
