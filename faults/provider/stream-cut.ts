/**
 * `stream-cut`: Streams broken after N content tokens: no finish_reason, no [DONE] (a crashed worker, a cut connection).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: stream-cut, provider: primary, afterTokens: 5, fraction: 30% }
 * @module
 */
import { z } from "zod";
import { closed, fraction, identifier } from "../../harness/base/fields.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("stream-cut"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  afterTokens: z.number().int().nonnegative().default(3).meta({ description: "The connection is cut after this many tokens, without [DONE].", example: 10 }),
  fraction: fraction.prefault(1).meta({ description: "The share of requests cut.", example: "30%" }),
});

export const streamCut: FaultDefinition<typeof params> = {
  kind: "stream-cut",
  params,
  describe: (p) => `streams from provider "${p.provider}" cut after ${p.afterTokens} tokens${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "stream-cut" as const, afterTokens: p.afterTokens, fraction: p.fraction }]),
};
