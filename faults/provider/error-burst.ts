/**
 * `error-burst`: A share of requests answered with a 5xx (500, 502, 503, or Anthropic-style 529 overloaded).
 * Set through the provider's admin API; the Undo removes it.
 * @example
 * faults:
 *   - { kind: error-burst, provider: primary, status: 503, fraction: 50% }
 * @module
 */
import { z } from "zod";
import { closed, fraction, identifier } from "../../harness/base/fields.js";
import { setBehaviours, share } from "./behaviour-fault.js";
import type { FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("error-burst"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(529)]).default(503).meta({ description: "The error status answered (529: overloaded, as Anthropic's API).", example: 500 }),
  fraction: fraction.prefault(1).meta({ description: "The share of requests answered with the error.", example: "30%" }),
});

export const errorBurst: FaultDefinition<typeof params> = {
  kind: "error-burst",
  params,
  describe: (p) => `HTTP ${p.status} from provider "${p.provider}"${share(p.fraction)}`,
  inject: (ctx, p) => setBehaviours(ctx, p.provider, [{ type: "error" as const, status: p.status, fraction: p.fraction }]),
};
