/**
 * The fault catalogue: one definition per file, collected in one literal registry.
 * Adding a fault is a new file plus one line here and one in `schema.ts`.
 * @module
 */
import { latency } from "./latency.js";
import type { FaultSpec } from "./schema.js";
import type { FaultContext, FaultDefinition, Undo } from "./types.js";

export const faults = { latency } as const;

/** The registry entry for a validated fault spec. */
export function faultDefinition(spec: FaultSpec): FaultDefinition<any> {
  return faults[spec.kind];
}

export { faultSchema, faultKinds, type FaultSpec } from "./schema.js";
export { once, type FaultContext, type FaultDefinition, type Undo } from "./types.js";
