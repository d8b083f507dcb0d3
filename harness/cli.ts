#!/usr/bin/env node
/**
 * The `aire` command line: argv → run/validate/plan/serve → exit code (DESIGN.md):
 * 0 all pass · 1 a hypothesis did not pass · 2 invalid scenario or usage · 3 infrastructure ·
 * 4 aborted · 130 interrupted.
 * @module
 */
// First, before anything else loads: commands that start things take SIGINT/SIGTERM from their first moment.
import { earlyInterrupt, onInterrupt } from "./base/early-signals.js";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { describeError, HarnessError, isHarnessError } from "./base/errors.js";
import type { LoadOptions } from "./scenario/load.js";
import type { ServeKind } from "./commands/serve.js";
// Each command imports what it needs when it runs: `aire serve` starts every component of a run's
// stack as a process of its own, and loading the whole harness there cost about a second apiece.
const scenarioLoader = () => import("./scenario/load.js");
const reports = () => import("../reports/index.js");
const terminal = () => import("../reports/terminal.js");

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const collect = (value: string, previous: string[]) => [...previous, value];
const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number above 0");
  return n;
};
const percent = (value: string, option: string) => {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (!m) throw new HarnessError("USAGE", { message: `${option} takes a percentage such as 10% (got "${value}")` });
  return Number(m[1]) / 100;
};
const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
};

interface ScenarioFlags {
  set: string[];
  timeScale?: number;
  seed?: number;
  quick?: boolean;
}

function loadOptions(flags: ScenarioFlags): LoadOptions {
  const set = [...flags.set, ...(flags.seed !== undefined ? [`seed=${flags.seed}`] : [])];
  return { set, ...(flags.timeScale !== undefined ? { timeScale: flags.timeScale } : {}), ...(flags.quick ? { quick: true } : {}) };
}

function withScenarioFlags(command: Command): Command {
  return command
    .option("--set <path=value>", "override a scenario value (repeatable), e.g. --set traffic.arrival.rate=50/s", collect, [])
    .option("--time-scale <factor>", "multiply every phase duration, e.g. 0.2 for a quick pass", positiveNumber)
    .option("--quick", "apply the scenario's quick: block (its time scale and overrides, for CI)");
}

/** Turns SIGINT/SIGTERM into an abort of the run (rollback and teardown happen before exit). */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  if (earlyInterrupt.signal.aborted) {
    process.stderr.write(`aire: ${String(earlyInterrupt.signal.reason)} received while starting — nothing was started\n`);
    controller.abort(earlyInterrupt.signal.reason);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`aire: ${signal} again — still rolling back; wait, or send SIGKILL to abandon cleanup\n`);
      return;
    }
    process.stderr.write(`aire: ${signal} received — rolling back faults and stopping the stack\n`);
    controller.abort(signal);
  };
  onInterrupt(onSignal);
  // A bug anywhere in this process must still roll faults back and stop the stack: abort the run
  // with the error (exit 3) instead of dying with toxics left in place.
  const onCrash = (err: unknown) => {
    process.stderr.write(`aire: internal error: ${describeError(err)} — rolling back\n`);
    if (!controller.signal.aborted) controller.abort(err instanceof Error ? err : new Error(String(err)));
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  // Self-test hook for the test suite: crash the harness from a timer after N ms of a run.
  const crashAfter = Number(process.env.AIRE_SELFTEST_CRASH_MS);
  if (crashAfter > 0) {
    setTimeout(() => {
      // A plain Error on purpose: the self-test imitates a bug, which no catalogue code describes.
      // eslint-disable-next-line no-restricted-syntax
      throw new Error("self-test crash (AIRE_SELFTEST_CRASH_MS)");
    }, crashAfter).unref();
  }
  return controller.signal;
}

export function buildProgram(): Command {
  const program = new Command("aire")
    .description("Chaos engineering and load testing for LLM systems")
    .version(version, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  withScenarioFlags(
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
      }),
  ).action(async (files: string[], flags: ScenarioFlags & { out: string; baseline?: string }) => {
    const [{ loadScenarioOrThrow }, { runScenario }, { Progress }, { renderTerminal }, { renderMarkdown }] = await Promise.all([scenarioLoader(), import("./orchestrator/run-scenario.js"), import("../reports/progress.js"), terminal(), reports()]);
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    if (flags.baseline && !existsSync(join(flags.baseline, "events.jsonl"))) throw new HarnessError("USAGE", { message: `--baseline ${flags.baseline}: not a results directory (no events.jsonl)` });
    let exitCode = 0;
    for (const file of files) {
      if (signal.aborted) break;
      const loaded = await loadScenarioOrThrow(file, loadOptions(flags));
      // A status line redrawn in place on a terminal; a plain line every 5 s in CI logs.
      const progress = new Progress(process.stdout);
      const { report, dir } = await runScenario(loaded, { outDir: flags.out, signal, log: (line) => progress.log(line), onProgress: (state) => progress.update(state), ...(flags.baseline ? { baselineDir: flags.baseline } : {}) }).finally(() => progress.done());
      process.stdout.write(`\n${renderTerminal(report)}\nresults: ${dir} (report.html, summary.md, junit.xml, summary.json)\n\n`);
      // On GitHub Actions the job page shows the Markdown summary of every scenario run.
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${renderMarkdown(report)}\n`);
      exitCode = worst(exitCode, report.exitCode);
    }
    process.exitCode = exitCode;
  });

  program
    .command("validate")
    .description("check scenario files and print every problem with its line (sends no traffic)")
    .argument("<file...>", "scenario YAML files")
    .action(async (files: string[]) => {
      const { loadScenarioFile, formatIssue } = await scenarioLoader();
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

  withScenarioFlags(
    program.command("plan").description("print the resolved scenario and its phase/fault timeline (sends no traffic)").argument("<file>", "scenario YAML file"),
  ).action(async (file: string, flags: ScenarioFlags) => {
    const [{ loadScenarioOrThrow }, { planText }] = await Promise.all([scenarioLoader(), import("./commands/plan.js")]);
    const loaded = await loadScenarioOrThrow(file, loadOptions(flags));
    process.stdout.write(`${planText(loaded)}\n`);
  });

  program
    .command("report")
    .description("rebuild summary.json and every report from a results directory's raw files (also after a crash); exits with the run's code")
    .argument("<dir>", "a results directory (results/<run-id>)")
    .option("--baseline <dir>", "a stored run's results directory: relative thresholds (k * baseline) compare with its same windows")
    .action(async (dir: string, flags: { baseline?: string }) => {
      const [{ buildReport, writeReports }, { renderTerminal }] = await Promise.all([reports(), terminal()]);
      const report = await buildReport(dir, flags.baseline ? { baselineDir: flags.baseline } : {});
      await writeReports(dir, report);
      process.stdout.write(`${renderTerminal(report)}\nreports rebuilt in ${dir}\n`);
      process.exitCode = report.exitCode;
    });

  withScenarioFlags(
    program
      .command("proof")
      .description("run each scenario against the resilient and the naive gateway profile and check its proof: claim; exits 1 when a verdict is not the claimed one")
      .argument("<scenario...>", "scenario YAML files")
      .option("--out <dir>", "parent directory for results", "results"),
  ).action(async (files: string[], flags: ScenarioFlags & { out: string }) => {
    const { prove, proofTable } = await import("./commands/proof.js");
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    const rows = await prove(files, loadOptions(flags), { outDir: flags.out, signal, log: (line) => process.stdout.write(`${line}\n`) });
    for (const r of rows) process.stdout.write(`${r.ok ? "✓" : "✗"} ${r.scenario} against ${r.profile}: ${r.verdict} (claimed ${r.expected}) — ${r.dir}\n`);
    process.stdout.write(`\n${proofTable(rows)}\n`);
    process.exitCode = signal.aborted ? 130 : rows.every((r) => r.ok) ? 0 : 1;
  });

  withScenarioFlags(
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
  ).action(async (file: string, flags: ScenarioFlags & { out: string; from?: string; max?: string; require?: string; factor: number; tolerance: string; maxSteps: number; faults: boolean; verify: boolean }) => {
    const [{ capacitySearch }, { renderCapacityTerminal, writeCapacityReports }, { parseRate }] = await Promise.all([import("./commands/capacity.js"), import("../reports/capacity.js"), import("./base/units.js")]);
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
      { outDir: flags.out, signal, log: (line) => process.stdout.write(`${line}\n`) },
    );
    await writeCapacityReports(result);
    process.stdout.write(`\n${renderCapacityTerminal(result)}\nresults: ${result.dir} (capacity.html, capacity.json, one directory per step)\n`);
    process.exitCode = result.exitCode;
  });

  withScenarioFlags(
    program
      .command("ingest")
      .description("score a scenario's hypotheses on k6 results: the --out json files of one or many runners (k6-operator parallelism), merged, so percentiles are global")
      .addArgument(new Command().createArgument("<tool>", "the tool that produced the files").choices(["k6"]))
      .argument("<file...>", "k6 --out json files (NDJSON, .gz too), one per runner; or the JSON files an exported script's handleSummary writes (aggregates: fewer assertions can be scored)")
      .requiredOption("--scenario <file>", "the scenario whose hypotheses and phases apply")
      .option("--out <dir>", "parent directory for results", "results"),
  ).action(async (_tool: string, files: string[], flags: ScenarioFlags & { scenario: string; out: string }) => {
    const [{ loadScenarioOrThrow }, { ingestK6 }, { buildReport, writeReports }, { renderTerminal }, summary] = await Promise.all([scenarioLoader(), import("./commands/k6/ingest.js"), reports(), terminal(), import("./commands/k6/summary.js")]);
    const loaded = await loadScenarioOrThrow(flags.scenario, loadOptions(flags));
    // handleSummary files (aggregates) are scored apart from raw --out json files (requests).
    const summaries = await Promise.all(files.map((f) => summary.readSummary(f)));
    if (summaries.some((s) => s !== undefined)) {
      if (summaries.some((s) => s === undefined)) throw new HarnessError("USAGE", { message: `give either k6 --out json files or handleSummary JSON files, not both (${files.filter((_, i) => summaries[i]).join(", ")} are summaries)` });
      const scored = await summary.ingestSummaries(loaded, flags.scenario, files, summaries as NonNullable<(typeof summaries)[number]>[], flags.out);
      process.stdout.write(`${summary.renderSummaryVerdicts(scored.hypotheses, files)}\nresults: ${scored.file}\n`);
      process.exitCode = scored.exitCode;
      return;
    }
    const ingested = await ingestK6(files, loaded, flags.out);
    const report = await buildReport(ingested.dir);
    await writeReports(ingested.dir, report);
    process.stdout.write(`${renderTerminal(report)}\nk6: ${ingested.requests} requests from ${ingested.runners} runner file(s)${ingested.dropped > 0 ? `, ${ingested.dropped} iterations dropped by k6 (its VUs could not keep the arrival rate)` : ""}\nresults: ${ingested.dir} (report.html, summary.md, junit.xml, summary.json)\n`);
    process.exitCode = report.exitCode;
  });

  withScenarioFlags(
    program
      .command("export")
      .description("write the scenario's traffic as a k6 script (with its request bodies, thresholds and a k6-operator TestRun), for more load than one process sends")
      .addArgument(new Command().createArgument("<tool>", "the load tool").choices(["k6"]))
      .argument("<scenario>", "scenario YAML file")
      .requiredOption("--out <dir>", "directory for script.js, requests.json, testrun.yaml, fetch-results.yaml")
      .option("--url <url>", "the gateway's base URL, …/v1 (default: the scenario's target.url; AIRE_TARGET_URL overrides it at run time)")
      .option("--sse", "read streams with the xk6-sse extension, so TTFT and inter-token gaps are measured (needs an xk6 build of k6)", false)
      .option("--image <image>", "k6-operator runner image (required with --sse)")
      .option("--parallelism <n>", "k6-operator runners", positiveNumber, 1)
      .option("--namespace <ns>", "Kubernetes namespace of the TestRun", "default")
      .option("--bodies <n>", "distinct request bodies per traffic source, at most", positiveNumber, 2000)
      .option("--max-vus <n>", "VUs per traffic source, at most", positiveNumber, 2000),
  ).action(async (_tool: string, file: string, flags: ScenarioFlags & { out: string; url?: string; sse: boolean; image?: string; parallelism: number; namespace: string; bodies: number; maxVus: number }) => {
    const [{ loadScenarioOrThrow }, { exportK6, renderExport }] = await Promise.all([scenarioLoader(), import("./commands/k6/export.js")]);
    const loaded = await loadScenarioOrThrow(file, loadOptions(flags));
    const result = await exportK6(loaded, {
      outDir: flags.out,
      ...(flags.url !== undefined ? { url: flags.url } : {}),
      sse: flags.sse,
      ...(flags.image !== undefined ? { image: flags.image } : {}),
      parallelism: Math.floor(flags.parallelism),
      namespace: flags.namespace,
      bodies: Math.floor(flags.bodies),
      maxVus: Math.floor(flags.maxVus),
    });
    process.stdout.write(`${renderExport(result, file, `aire-${loaded.scenario.name}`)}\n`);
  });

  program
    .command("compare")
    .description("compare two runs phase by phase, noise-aware; exits 1 on a regression beyond tolerance")
    .argument("<a>", "the reference results directory (the last good run)")
    .argument("<b>", "the results directory to judge")
    .option("--tolerance <percent>", "latency percentiles: relative worsening beyond noise that counts as a regression", "10%")
    .option("--error-tolerance <points>", "error rate: absolute rise that counts as a regression", "0.5%")
    .action(async (a: string, b: string, flags: { tolerance: string; errorTolerance: string }) => {
      const { compareRuns } = await import("./results/compare.js");
      const { renderComparison } = await import("../reports/compare.js");
      const result = await compareRuns(a, b, { latencyTolerance: percent(flags.tolerance, "--tolerance"), errorTolerance: percent(flags.errorTolerance, "--error-tolerance") });
      process.stdout.write(`${renderComparison(result)}\n`);
      process.exitCode = result.regressions > 0 ? 1 : 0;
    });

  program
    .command("serve")
    .description("run one component alone: a synthetic provider, the reference gateway, or the embedded Toxiproxy")
    .addArgument(new Command().createArgument("<component>", "provider | gateway | toxiproxy (pod: one pod process, started by a provider)").choices(["provider", "gateway", "toxiproxy", "pod"]))
    .option("--host <host>", "loopback address to bind", "127.0.0.1")
    .addOption(new Option("--port <port>", "port (0 picks a free one; toxiproxy defaults to 8474, the others to 0)").argParser(port))
    .option("--config <file>", "component config (YAML or JSON; for toxiproxy, a /populate JSON array)")
    .addOption(new Option("--cold-start-ms <ms>", "pod only: model load time before the pod is ready").argParser(Number).hideHelp())
    .action(async (component: ServeKind, flags: { host: string; port?: number; config?: string; coldStartMs?: number }) => {
      await (await import("./commands/serve.js")).serve(component, flags);
    });

  return program;
}

const precedence = [0, 1, 2, 3, 4, 130];
function worst(a: number, b: number): number {
  return precedence.indexOf(b) > precedence.indexOf(a) ? b : a;
}

export async function main(argv: string[]): Promise<number> {
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

process.exitCode = await main(process.argv);
export { HarnessError };
