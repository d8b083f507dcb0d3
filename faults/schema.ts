/** The union of every fault's params, discriminated on `kind`, derived from the registry. @module */
import { z } from "zod";
import { allFaults, type RegisteredFault } from "./registry.js";
import { scheduleSchema, type Schedule } from "./schedule.js";

/** Every fault takes an optional `schedule` (see schedule.ts). */
const scheduled = {
  schedule: scheduleSchema.optional().meta({ description: "When the fault is active inside its phase (default: the whole phase): a start, a length, repeats, a ramp of one parameter.", example: { at: "5s", for: "10s" } }),
};

/** A fault's `kind`, documented for the scenario's JSON Schema. */
const kindOf = (f: RegisteredFault) => (f.params.shape.kind as z.ZodType).meta({ description: `The fault: \`${f.kind}\` (docs/reference/faults.md; \`aire faults ${f.kind}\`).`, example: f.kind });

/** Every kind, in the registry's order. */
export const faultKinds = allFaults.map((f) => f.kind) as readonly RegisteredFault["kind"][];

/** A validated fault: its kind's params, and its schedule. */
export type FaultSpec = { [F in RegisteredFault as F["kind"]]: z.output<F["params"]> & { schedule?: Schedule } }[RegisteredFault["kind"]];

/** Network faults (Toxiproxy), provider faults (admin API) and pod faults, discriminated on `kind`. */
export const faultSchema = z.discriminatedUnion(
  "kind",
  allFaults.map((f) => f.params.extend({ kind: kindOf(f), ...scheduled })) as unknown as [z.ZodObject<{ kind: z.ZodLiteral<string> }>, ...z.ZodObject<{ kind: z.ZodLiteral<string> }>[]],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown fault kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${faultKinds.join(", ")}`
        : undefined,
  },
) as unknown as z.ZodType<FaultSpec>;
