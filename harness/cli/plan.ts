/**
 * `aire plan`: print the resolved scenario and its phase/fault timeline (sends no traffic).
 * @module
 */
import { Command } from "commander";
import { loadOptions, type ScenarioFlags, withScenarioFlags } from "./options.js";

export function registerPlan(program: Command): void {
  withScenarioFlags(
    program.command("plan").description("print the resolved scenario and its phase/fault timeline (sends no traffic)").argument("<file>", "scenario YAML file"),
  ).action(async (file: string, flags: ScenarioFlags) => {
    const [{ loadScenarioOrThrow }, { planText }] = await Promise.all([import("../scenario/load.js"), import("../commands/plan.js")]);
    const loaded = await loadScenarioOrThrow(file, loadOptions(flags));
    process.stdout.write(`${planText(loaded)}\n`);
  });
}
