/** The union of every fault's params, discriminated on `kind`, derived from the registry. @module */
import { z } from "zod";
import { allFaults, type RegisteredFault } from "./registry.js";
import { scheduleSchema, type Schedule } from "./schedule.js";

/** Every fault takes an optional `schedule` (see schedule.ts). */
const scheduled = { schedule: scheduleSchema.optional() };

/** Every kind, in the registry's order. */
export const faultKinds = allFaults.map((f) => f.kind) as readonly RegisteredFault["kind"][];

/** A validated fault: its kind's params, and its schedule. */
export type FaultSpec = { [F in RegisteredFault as F["kind"]]: z.output<F["params"]> & { schedule?: Schedule } }[RegisteredFault["kind"]];

/** Network faults (Toxiproxy), provider faults (admin API) and pod faults, discriminated on `kind`. */
export const faultSchema = z.discriminatedUnion(
  "kind",
  allFaults.map((f) => f.params.extend(scheduled)) as unknown as [z.ZodObject<{ kind: z.ZodLiteral<string> }>, ...z.ZodObject<{ kind: z.ZodLiteral<string> }>[]],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown fault kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${faultKinds.join(", ")}`
        : undefined,
  },
) as unknown as z.ZodType<FaultSpec>;
