/**
 * `bandwidth`: a Toxiproxy `bandwidth` toxic on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: bandwidth, proxy: primary, rate: 50KB/s }
 * @module
 */
import { z } from "zod";
import { bandwidth as bandwidthRate, closed } from "../../harness/base/fields.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("bandwidth"),
  ...toxicTargetShape,
  rate: bandwidthRate.meta({ description: "The bandwidth (1 KB = 1000 bytes, as Toxiproxy); 0KB/s stalls the stream.", example: "5KB/s" }),
});

export const bandwidth: FaultDefinition<typeof params> = {
  kind: "bandwidth",
  params,
  describe: (p) => `${`bandwidth limited to ${p.rate} KB/s`} on ${toxicTarget(p)}`,
  inject: (ctx, p) => addToxic(ctx, p.proxy, { type: "bandwidth", stream: p.stream, toxicity: p.toxicity, attributes: { rate: Math.round(p.rate) } }),
};
