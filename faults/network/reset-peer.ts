/**
 * `reset-peer`: a Toxiproxy `reset_peer` toxic on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: reset-peer, proxy: primary, timeout: 100ms }
 * @module
 */
import { z } from "zod";
import { closed, duration } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("reset-peer"),
  ...toxicTargetShape,
  timeout: duration.prefault("0ms").meta({ description: "Wait this long after the first data, then reset the connection (TCP RST).", example: "200ms" }),
});

export const resetPeer: FaultDefinition<typeof params> = {
  kind: "reset-peer",
  params,
  describe: (p) => `${`connections reset ${p.timeout > 0 ? `${formatDuration(p.timeout)} after` : "at"} their first data`} on ${toxicTarget(p)}`,
  inject: (ctx, p) => addToxic(ctx, p.proxy, { type: "reset_peer", stream: p.stream, toxicity: p.toxicity, attributes: { timeout: Math.round(p.timeout) } }),
};
