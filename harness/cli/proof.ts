/**
 * `aire proof`: run each scenario against the resilient and the naive gateway profile and check its proof: claim; exits 1 when a verdict is not the claimed one.
 * @module
 */
import { Command } from "commander";
import { interruptSignal } from "./interrupt.js";
import { loadOptions, type ScenarioFlags, withScenarioFlags, withWorkersFlag } from "./options.js";

export function registerProof(program: Command): void {
  withScenarioFlags(withWorkersFlag(
    program
      .command("proof")
      .description("run each scenario against the resilient and the naive gateway profile and check its proof: claim; exits 1 when a verdict is not the claimed one")
      .argument("<scenario...>", "scenario YAML files")
      .option("--out <dir>", "parent directory for results", "results"),
  )).action(async (files: string[], flags: ScenarioFlags & { out: string; workers: number | "auto" }) => {
    const { prove, proofTable } = await import("../commands/proof.js");
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    const rows = await prove(files, loadOptions(flags), { outDir: flags.out, signal, workers: flags.workers, log: (line) => process.stdout.write(`${line}\n`) });
    for (const r of rows) process.stdout.write(`${r.ok ? "✓" : "✗"} ${r.scenario} against ${r.profile}: ${r.verdict} (claimed ${r.expected}) — ${r.dir}\n`);
    process.stdout.write(`\n${proofTable(rows)}\n`);
    process.exitCode = signal.aborted ? 130 : rows.every((r) => r.ok) ? 0 : 1;
  });
}
