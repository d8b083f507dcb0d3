/**
 * `aire report`: rebuild summary.json and every report from a results directory's raw files (also after a crash); exits with the run's code.
 * @module
 */
import { Command } from "commander";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("rebuild summary.json and every report from a results directory's raw files (also after a crash); exits with the run's code")
    .argument("<dir>", "a results directory (results/<run-id>)")
    .option("--baseline <dir>", "a stored run's results directory: relative thresholds (k * baseline) compare with its same windows")
    .action(async (dir: string, flags: { baseline?: string }) => {
      const [{ buildReport, writeReports }, { renderTerminal }] = await Promise.all([import("../../reports/index.js"), import("../../reports/terminal.js")]);
      const report = await buildReport(dir, flags.baseline ? { baselineDir: flags.baseline } : {});
      await writeReports(dir, report);
      process.stdout.write(`${renderTerminal(report)}\nreports rebuilt in ${dir}\n`);
      process.exitCode = report.exitCode;
    });
}
