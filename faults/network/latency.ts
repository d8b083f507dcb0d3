/**
 * `latency`: a Toxiproxy latency toxic (with optional jitter) on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: latency, proxy: primary, latency: 800ms, jitter: 50ms, stream: downstream }
 * @module
 */
import { z } from "zod";
import type { Latency } from "toxiproxy-node-client";
import { closed, duration } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { addToxic, toxicTarget, toxicTargetShape } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("latency"),
  ...toxicTargetShape,
  latency: duration.meta({ description: "Delay added to the data, in the stream's direction.", example: "800ms" }),
  jitter: duration.prefault("0ms").meta({ description: "A random amount up to this added to or taken from each delay.", example: "50ms" }),
});

export const latency: FaultDefinition<typeof params> = {
  kind: "latency",
  params,
  describe: (p) => `+${formatDuration(p.latency)}${p.jitter > 0 ? ` ±${formatDuration(p.jitter)}` : ""} latency on ${toxicTarget(p)}`,
  inject: (ctx, p) =>
    addToxic<Latency>(ctx, p.proxy, {
      type: "latency",
      stream: p.stream,
      toxicity: p.toxicity,
      attributes: { latency: Math.round(p.latency), jitter: Math.round(p.jitter) },
    }),
};
