/**
 * `limit-data`: a Toxiproxy `limit_data` toxic on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: limit-data, proxy: primary, bytes: 2000 }
 * @module
 */
import { z } from "zod";
import { closed } from "../../harness/base/fields.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("limit-data"),
  ...toxicTargetShape,
  bytes: z.number().int().nonnegative().meta({ description: "Close each connection after this many bytes.", example: 2048 }),
});

export const limitData: FaultDefinition<typeof params> = {
  kind: "limit-data",
  params,
  describe: (p) => `${`connections closed after ${p.bytes} bytes`} on ${toxicTarget(p)}`,
  inject: (ctx, p) => addToxic(ctx, p.proxy, { type: "limit_data", stream: p.stream, toxicity: p.toxicity, attributes: { bytes: p.bytes } }),
};
