/**
 * `slow-close`: a Toxiproxy `slow_close` toxic on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: slow-close, proxy: primary, delay: 2s }
 * @module
 */
import { z } from "zod";
import { closed, duration } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("slow-close"),
  ...toxicTargetShape,
  delay: duration.meta({ description: "Delay each connection's close by this long.", example: "300ms" }),
});

export const slowClose: FaultDefinition<typeof params> = {
  kind: "slow-close",
  params,
  describe: (p) => `${`connection closes delayed by ${formatDuration(p.delay)}`} on ${toxicTarget(p)}`,
  inject: (ctx, p) => addToxic(ctx, p.proxy, { type: "slow_close", stream: p.stream, toxicity: p.toxicity, attributes: { delay: Math.round(p.delay) } }),
};
