/**
 * `aire faults [kind]`: the fault catalogue from the registry — every kind, or one in full with its
 * parameters, defaults and units, the targets that carry it and an example that validates.
 * @module
 */
import { Command } from "commander";
import { HarnessError } from "../base/errors.js";

export function registerFaults(program: Command): void {
  program
    .command("faults")
    .description("the fault catalogue: every kind, or one in full with its parameters and an example")
    .argument("[kind]", "a fault kind, e.g. latency")
    .action(async (kind: string | undefined) => {
      const { faultCatalogue, renderCatalogue, renderFault } = await import("../commands/fault-catalogue.js");
      const entries = faultCatalogue();
      if (kind === undefined) return void process.stdout.write(`${renderCatalogue(entries)}\n`);
      const entry = entries.find((e) => e.kind === kind);
      if (!entry) {
        const { closest } = await import("../scenario/suggest.js");
        const guess = closest(kind, entries.map((e) => e.kind));
        throw new HarnessError("USAGE", { message: `no fault kind "${kind}"${guess ? ` (did you mean ${guess}?)` : ""}; \`aire faults\` lists them` });
      }
      process.stdout.write(`${renderFault(entry)}\n`);
    });
}
