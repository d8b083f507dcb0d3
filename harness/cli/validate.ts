/**
 * `aire validate`: check scenario files and print every problem with its line (sends no traffic).
 * @module
 */
import { Command } from "commander";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check scenario files and print every problem with its line (sends no traffic)")
    .argument("<file...>", "scenario YAML files")
    .action(async (files: string[]) => {
      const { loadScenarioFile, formatIssue } = await import("../scenario/load.js");
      let bad = 0;
      for (const file of files) {
        let result = await loadScenarioFile(file);
        // The quick form (run --quick, proof) is a scenario of its own: its quick.set entries must hold too.
        if (result.ok && result.value.scenario.quick) {
          const quick = await loadScenarioFile(file, { quick: true });
          if (!quick.ok) result = quick;
        }
        if (result.ok) process.stdout.write(`${file}: ok (${result.value.scenario.name}, ${result.value.scenario.phases.length} phases, ${result.value.scenario.hypotheses.length} hypotheses)\n`);
        else {
          bad++;
          process.stderr.write(`${file}: ${result.issues.length} problem${result.issues.length === 1 ? "" : "s"}\n${result.issues.map((i) => `  ${formatIssue(i)}`).join("\n")}\n`);
        }
      }
      process.exitCode = bad > 0 ? 2 : 0;
    });
}
