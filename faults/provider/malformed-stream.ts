/**
 * `malformed-stream`: A stream that breaks the wire format: a chunk that is not JSON, or an error event after a 200.
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: malformed-stream, provider: primary, mode: error-event, atToken: 3 }
 * @module
 */
import { z } from "zod";
import { closed, fraction, identifier } from "../../harness/base/fields.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("malformed-stream"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  mode: z.enum(["malformed-chunk", "error-event"]).default("malformed-chunk").meta({ description: "`malformed-chunk`: a data line that is not JSON; `error-event`: an SSE error event in the middle of the answer.", example: "error-event" }),
  atToken: z.number().int().nonnegative().default(3).meta({ description: "After how many tokens the bad event comes.", example: 5 }),
  fraction: fraction.prefault(1).meta({ description: "The share of requests whose stream breaks.", example: "30%" }),
});

export const malformedStream: FaultDefinition<typeof params> = {
  kind: "malformed-stream",
  params,
  describe: (p) => `${p.mode === "malformed-chunk" ? "a malformed chunk" : "an error event"} at token ${p.atToken} in streams from provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [p.mode === "malformed-chunk" ? { type: "malformed-chunk" as const, atToken: p.atToken, fraction: p.fraction } : { type: "error-event" as const, afterTokens: p.atToken, fraction: p.fraction }]),
};
