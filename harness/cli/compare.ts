/**
 * `aire compare`: compare two runs phase by phase, noise-aware; exits 1 on a regression beyond tolerance.
 * @module
 */
import { Command } from "commander";
import { percent } from "./options.js";

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("compare two runs phase by phase, noise-aware; exits 1 on a regression beyond tolerance")
    .argument("<a>", "the reference results directory (the last good run)")
    .argument("<b>", "the results directory to judge")
    .option("--tolerance <percent>", "latency percentiles: relative worsening beyond noise that counts as a regression", "10%")
    .option("--error-tolerance <points>", "error rate: absolute rise that counts as a regression", "0.5%")
    .action(async (a: string, b: string, flags: { tolerance: string; errorTolerance: string }) => {
      const { compareRuns } = await import("../results/compare.js");
      const { renderComparison } = await import("../../reports/compare.js");
      const result = await compareRuns(a, b, { latencyTolerance: percent(flags.tolerance, "--tolerance"), errorTolerance: percent(flags.errorTolerance, "--error-tolerance") });
      process.stdout.write(`${renderComparison(result)}\n`);
      process.exitCode = result.regressions > 0 ? 1 : 0;
    });
}
