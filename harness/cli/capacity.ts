/**
 * `aire capacity`: find the highest arrival rate at which the scenario's hypotheses still PASS (geometric ramp, then bisection, each step a full scored run), and verify it with another seed.
 * @module
 */
import { Command } from "commander";
import { HarnessError } from "../base/errors.js";
import { interruptSignal } from "./interrupt.js";
import { loadOptions, percent, positiveNumber, type ScenarioFlags, withScenarioFlags, withWorkersFlag } from "./options.js";

export function registerCapacity(program: Command): void {
  withScenarioFlags(withWorkersFlag(
    program
      .command("capacity")
      .description("find the highest arrival rate at which the scenario's hypotheses still PASS (geometric ramp, then bisection, each step a full scored run), and verify it with another seed")
      .argument("<scenario>", "scenario YAML file (traffic.arrival with one rate: constant, poisson or gamma)")
      .option("--out <dir>", "parent directory for results", "results")
      .option("--from <rate>", "first rate to try, e.g. 10/s (default: the scenario's own)")
      .option("--max <rate>", "never try above this rate (default: 64 × --from)")
      .option("--require <rate>", "exit 1 when the capacity is below this rate, e.g. 30/s")
      .option("--factor <n>", "ramp factor", positiveNumber, 2)
      .option("--tolerance <percent>", "stop bisecting when the bracket is within this", "10%")
      .option("--max-steps <n>", "runs at most, verification included", positiveNumber, 14)
      .option("--no-faults", "remove the scenario's faults: the capacity of the healthy system")
      .option("--no-verify", "skip re-running the capacity and the step above it with another seed"),
  )).action(async (file: string, flags: ScenarioFlags & { workers: number | "auto"; out: string; from?: string; max?: string; require?: string; factor: number; tolerance: string; maxSteps: number; faults: boolean; verify: boolean }) => {
    const [{ capacitySearch }, { renderCapacityTerminal, writeCapacityReports }, { parseRate }] = await Promise.all([import("../commands/capacity.js"), import("../../reports/capacity.js"), import("../base/units.js")]);
    const rateFlag = (value: string | undefined, option: string) => {
      if (value === undefined) return undefined;
      const parsed = parseRate(value);
      if (!parsed.ok || !(parsed.value > 0)) throw new HarnessError("USAGE", { message: `${option} takes a rate with a unit, e.g. 20/s (got "${value}")` });
      return parsed.value;
    };
    const from = rateFlag(flags.from, "--from");
    const max = rateFlag(flags.max, "--max");
    const require = rateFlag(flags.require, "--require");
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    const result = await capacitySearch(
      file,
      loadOptions(flags),
      { ...(from !== undefined ? { from } : {}), ...(max !== undefined ? { max } : {}), ...(require !== undefined ? { require } : {}), factor: flags.factor, tolerance: percent(flags.tolerance, "--tolerance"), maxSteps: flags.maxSteps, withFaults: flags.faults, verify: flags.verify },
      { outDir: flags.out, signal, workers: flags.workers, log: (line) => process.stdout.write(`${line}\n`) },
    );
    await writeCapacityReports(result);
    process.stdout.write(`\n${renderCapacityTerminal(result)}\nresults: ${result.dir} (capacity.html, capacity.json, one directory per step)\n`);
    process.exitCode = result.exitCode;
  });
}
