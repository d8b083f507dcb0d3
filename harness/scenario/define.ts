/**
 * Scenarios in TypeScript: `export default defineScenario({ … })` in a `.ts` file, run with `aire
 * run my-scenario.ts` like a YAML one. The object is what the YAML would hold (durations and rates
 * as strings with their units: `"800ms"`, `"20/s"`), typed from the one zod schema, and the loader
 * checks it with that same schema (harness/scenario/module.ts). No runtime dependency: a scenario
 * module that imports this loads nothing else.
 * @module
 */
import type { z } from "zod";
import type { scenarioSchema } from "./schema.js";

/** A scenario as written: the input side of the schema (units as strings, defaults optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Types a scenario for the editor and returns it unchanged; the loader validates it. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
