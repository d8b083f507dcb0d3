/**
 * `timeout`: a Toxiproxy `timeout` toxic on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: timeout, proxy: primary, timeout: 5s }
 * @module
 */
import { z } from "zod";
import { closed, duration } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("timeout"),
  ...toxicTargetShape,
  timeout: duration.prefault("0ms").meta({ description: "Drop everything and close after this long; 0ms holds the connection open for ever (a black hole).", example: "300ms" }),
});

export const timeout: FaultDefinition<typeof params> = {
  kind: "timeout",
  params,
  describe: (p) => `${p.timeout > 0 ? `black hole, connections closed after ${formatDuration(p.timeout)}` : "black hole (data dropped, connections held open)"} on ${toxicTarget(p)}`,
  inject: (ctx, p) => addToxic(ctx, p.proxy, { type: "timeout", stream: p.stream, toxicity: p.toxicity, attributes: { timeout: Math.round(p.timeout) } }),
};
