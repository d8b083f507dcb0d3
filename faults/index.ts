/**
 * The fault catalogue: one definition per file, grouped by family (network/, provider/, pod/), each
 * family listing its own; registry.ts joins the lists. Adding a fault is a file in its family's
 * folder and one entry in that folder's index.ts.
 * @module
 */
import type { z } from "zod";
import { allFaults } from "./registry.js";
import type { FaultSpec } from "./schema.js";
import type { FaultDefinition } from "./types.js";

/** The registry by kind. */
export const faults: Record<FaultSpec["kind"], FaultDefinition<z.ZodType<{ kind: string }>>> = Object.fromEntries(allFaults.map((f) => [f.kind, f as unknown as FaultDefinition<z.ZodType<{ kind: string }>>])) as Record<FaultSpec["kind"], FaultDefinition<z.ZodType<{ kind: string }>>>;

/** The registry entry for a validated fault spec (the registry is keyed by the same `kind`). */
export function faultDefinition(spec: FaultSpec): FaultDefinition<z.ZodType<FaultSpec>> {
  return faults[spec.kind] as unknown as FaultDefinition<z.ZodType<FaultSpec>>;
}

export { faultSchema, faultKinds, type FaultSpec } from "./schema.js";
export { ProviderAdmin } from "./provider/provider-admin.js";
export { once, type FaultContext, type FaultDefinition, type KubernetesAccess, type Undo } from "./types.js";
