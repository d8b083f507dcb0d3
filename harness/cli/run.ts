/**
 * `aire run`: run scenarios end to end against the bundled stack and score their hypotheses.
 * @module
 */
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { HarnessError } from "../base/errors.js";
import { interruptSignal } from "./interrupt.js";
import { loadOptions, positiveNumber, type ScenarioFlags, withScenarioFlags, withWorkersFlag, worst } from "./options.js";

export function registerRun(program: Command): void {
  withScenarioFlags(withWorkersFlag(
    program
      .command("run")
      .description("run scenarios end to end against the bundled stack and score their hypotheses")
      .argument("<scenario...>", "scenario YAML files")
      .option("--out <dir>", "parent directory for results", "results")
      .option("--baseline <dir>", "a stored run's results directory: relative thresholds (k * baseline) compare with its same windows")
      .option("--seed <n>", "override the scenario seed", (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
        return n;
      })
      .addOption(new Option("--load <generator>", "what sends the traffic: aire's own generator, or local k6 runners driven on the run's timeline").choices(["aire", "k6"]).default("aire"))
      .option("--runners <n>", "with --load k6: k6 processes, each on its execution segment", positiveNumber, 1)
      .option("--sse", "with --load k6: read streams with xk6-sse (TTFT and inter-token gaps measured; needs k6-sse on PATH)", false),
  )).action(async (files: string[], flags: ScenarioFlags & { out: string; baseline?: string; workers: number | "auto"; load: "aire" | "k6"; runners: number; sse: boolean }) => {
    if (flags.load === "k6" && flags.workers !== 1) throw new HarnessError("USAGE", { message: "--workers is aire's own generator: with --load k6, use --runners" });
    if (flags.load !== "k6" && (flags.runners !== 1 || flags.sse)) throw new HarnessError("USAGE", { message: "--runners and --sse go with --load k6" });
    if (!Number.isInteger(flags.runners)) throw new HarnessError("USAGE", { message: `--runners takes a whole number (got ${flags.runners})` });
    const [{ loadScenarioOrThrow }, { runScenario }, { Progress }, { renderTerminal }, { renderMarkdown }] = await Promise.all([import("../scenario/load.js"), import("../orchestrator/run-scenario.js"), import("../../reports/progress.js"), import("../../reports/terminal.js"), import("../../reports/index.js")]);
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    if (flags.baseline && !existsSync(join(flags.baseline, "events.jsonl"))) throw new HarnessError("USAGE", { message: `--baseline ${flags.baseline}: not a results directory (no events.jsonl)` });
    let exitCode = 0;
    for (const file of files) {
      if (signal.aborted) break;
      const loaded = await loadScenarioOrThrow(file, loadOptions(flags));
      // A status line redrawn in place on a terminal; a plain line every 5 s in CI logs.
      const progress = new Progress(process.stdout);
      const load = flags.load === "k6" ? new (await import("../commands/k6/load.js")).K6Load({ runners: flags.runners, sse: flags.sse }) : undefined;
      const { report, dir } = await runScenario(loaded, { outDir: flags.out, signal, workers: flags.workers, ...(load ? { load } : {}), log: (line) => progress.log(line), onProgress: (state) => progress.update(state), ...(flags.baseline ? { baselineDir: flags.baseline } : {}) }).finally(() => progress.done());
      process.stdout.write(`\n${renderTerminal(report)}\nresults: ${dir} (report.html, summary.md, junit.xml, summary.json)\n\n`);
      // On GitHub Actions the job page shows the Markdown summary of every scenario run.
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${renderMarkdown(report)}\n`);
      exitCode = worst(exitCode, report.exitCode);
    }
    process.exitCode = exitCode;
  });
}
