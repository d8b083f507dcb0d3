/**
 * `latency`: a Toxiproxy latency toxic (with optional jitter) on the proxy in front of a provider.
 * @example
 * faults:
 *   - { kind: latency, proxy: primary, latency: 800ms, jitter: 50ms, stream: downstream }
 * @module
 */
import { z } from "zod";
import type { Latency } from "toxiproxy-node-client";
import { closed, duration, fraction, identifier } from "../harness/scenario/fields.js";
import { formatDuration } from "../harness/units.js";
import { addToxic } from "./toxiproxy-toxic.js";
import type { FaultDefinition } from "./types.js";

const params = closed({
  kind: z.literal("latency"),
  /** The provider whose proxy gets the toxic. */
  proxy: identifier,
  latency: duration,
  jitter: duration.prefault("0ms"),
  stream: z.enum(["upstream", "downstream"]).default("downstream"),
  toxicity: fraction.prefault(1),
});

export const latency: FaultDefinition<typeof params> = {
  kind: "latency",
  params,
  describe: (p) =>
    `+${formatDuration(p.latency)}${p.jitter > 0 ? ` ±${formatDuration(p.jitter)}` : ""} latency on ${p.stream} traffic of provider "${p.proxy}"` +
    (p.toxicity < 1 ? ` (${Math.round(p.toxicity * 100)}% of connections)` : ""),
  inject: (ctx, p) =>
    addToxic<Latency>(ctx, p.proxy, {
      type: "latency",
      stream: p.stream,
      toxicity: p.toxicity,
      attributes: { latency: Math.round(p.latency), jitter: Math.round(p.jitter) },
    }),
};
