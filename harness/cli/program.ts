/**
 * The program behind `aire` (the entry, ../cli.ts, loads it once the signal handlers are in): argv →
 * one of the commands of this folder → exit code: 0 all pass · 1 a hypothesis did not pass ·
 * 2 invalid scenario or usage · 3 infrastructure · 4 aborted · 130 interrupted.
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { describeError, isHarnessError } from "../base/errors.js";
import { packageRoot } from "../base/package-root.js";
// One file per command in cli/: each defines its options and imports what it needs only when it
// runs (`aire serve` starts every component of a run's stack as a process of its own, and loading
// the whole harness there cost about a second apiece).
import { registerRun } from "./run.js";
import { registerValidate } from "./validate.js";
import { registerPlan } from "./plan.js";
import { registerReport } from "./report.js";
import { registerProof } from "./proof.js";
import { registerCapacity } from "./capacity.js";
import { registerIngest } from "./ingest.js";
import { registerExport } from "./export.js";
import { registerCompare } from "./compare.js";
import { registerServe } from "./serve.js";
import { registerFaults } from "./faults.js";
import { registerMetrics } from "./metrics.js";
import { registerInit } from "./init.js";
import { registerWorker } from "./worker.js";
import { registerGameday } from "./gameday.js";
import { tolerateClosedOutput } from "./closed-output.js";

const version = (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command("aire")
    .description("Chaos engineering and load testing for LLM systems")
    .version(version, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of [registerRun, registerValidate, registerPlan, registerReport, registerProof, registerCapacity, registerIngest, registerExport, registerCompare, registerServe, registerFaults, registerMetrics, registerInit, registerGameday, registerWorker]) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  tolerateClosedOutput();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (isHarnessError(err)) {
      process.stderr.write(`aire: ${err.message}\n${err.details.map((d) => `  ${d}\n`).join("")}`);
      if (err.cause && err.code !== "SCENARIO_INVALID") process.stderr.write(`  cause: ${describeError(err.cause)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`aire: internal error: ${describeError(err)}\n`);
    if (process.env.AIRE_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 3;
  }
}

