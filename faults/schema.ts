/** The union of every fault's params, discriminated on `kind`. @module */
import { z } from "zod";
import { latency } from "./latency.js";

export const faultKinds = ["latency"] as const;

export const faultSchema = z.discriminatedUnion("kind", [latency.params], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? `unknown fault kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${faultKinds.join(", ")}`
      : undefined,
});

export type FaultSpec = z.output<typeof faultSchema>;
