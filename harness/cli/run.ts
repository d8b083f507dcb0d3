/**
 * `aire run`: run scenarios end to end against the bundled stack and score their hypotheses.
 * @module
 */
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { HarnessError } from "../base/errors.js";
import type { ExternalLoad } from "../orchestrator/run-scenario.js";
import type { LoadedScenario } from "../scenario/load.js";
import { interruptSignal } from "./interrupt.js";
import { loadOptions, type ScenarioFlags, wholeNumber, withScenarioFlags, withWorkersFlag, worst } from "./options.js";

export function registerRun(program: Command): void {
  withScenarioFlags(withWorkersFlag(
    program
      .command("run")
      .description("run scenarios end to end against the bundled stack and score their hypotheses")
      .argument("<scenario...>", "scenario YAML files")
      .option("--out <dir>", "parent directory for results", "results")
      .option("--baseline <dir>", "a stored run's results directory: relative thresholds (k * baseline) compare with its same windows")
      .option("--seed <n>", "override the scenario seed", wholeNumber(0))
      .addOption(new Option("--load <generator>", "what sends the traffic: aire's own generator, local k6 runners, or k6-operator's runners in a cluster, driven on the run's timeline").choices(["aire", "k6", "k6-operator"]).default("aire"))
      .option("--runners <n>", "with --load k6 / k6-operator: k6 runners, each on its execution segment", wholeNumber(1), 1)
      .option("--sse", "with --load k6 / k6-operator: read streams with xk6-sse (TTFT and inter-token gaps measured; locally needs k6-sse on PATH, in a cluster --image)", false)
      .option("--namespace <ns>", "with --load k6-operator: the namespace of the TestRun and its objects", "default")
      .option("--image <image>", "with --load k6-operator: the runner image (default grafana/k6:0.48.0; with --sse, a k6 built with xk6-sse)")
      .option("--yes", "with --load k6-operator: create the objects and run (without it: a dry run that prints them and the faults, and creates nothing)", false),
  )).action(async (files: string[], flags: ScenarioFlags & { out: string; baseline?: string; workers: number | "auto"; load: "aire" | "k6" | "k6-operator"; runners: number; sse: boolean; namespace: string; image?: string; yes: boolean }) => {
    const external = flags.load !== "aire";
    if (external && flags.workers !== 1) throw new HarnessError("USAGE", { message: `--workers is aire's own generator: with --load ${flags.load}, use --runners` });
    if (!external && (flags.runners !== 1 || flags.sse)) throw new HarnessError("USAGE", { message: "--runners and --sse go with --load k6 or k6-operator" });
    if (flags.load !== "k6-operator" && (flags.yes || flags.image !== undefined || flags.namespace !== "default")) throw new HarnessError("USAGE", { message: "--yes, --image and --namespace go with --load k6-operator" });
    if (flags.load === "k6-operator" && flags.sse && flags.image === undefined) throw new HarnessError("USAGE", { message: "--load k6-operator --sse needs --image: a k6 built with xk6-sse (xk6 build --with github.com/phymbert/xk6-sse), which the runner pods run" });
    const [{ loadScenarioOrThrow }, { runScenario }, { Progress }, { renderTerminal }, { renderMarkdown }] = await Promise.all([import("../scenario/load.js"), import("../orchestrator/run-scenario.js"), import("../../reports/progress.js"), import("../../reports/terminal.js"), import("../../reports/index.js")]);
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    if (flags.baseline && !existsSync(join(flags.baseline, "events.jsonl"))) throw new HarnessError("USAGE", { message: `--baseline ${flags.baseline}: not a results directory (no events.jsonl)` });
    let exitCode = 0;
    for (const file of files) {
      if (signal.aborted) break;
      const loaded = await loadScenarioOrThrow(file, loadOptions(flags));
      const operator = flags.load === "k6-operator" ? await operatorLoad(loaded, flags) : undefined;
      if (operator === "dry run") continue;
      // A status line redrawn in place on a terminal; a plain line every 5 s in CI logs.
      const progress = new Progress(process.stdout);
      const load = flags.load === "k6" ? new (await import("../commands/k6/load.js")).K6Load({ runners: flags.runners, sse: flags.sse }) : operator;
      const { report, dir } = await runScenario(loaded, { outDir: flags.out, signal, workers: flags.workers, ...(load ? { load } : {}), log: (line) => progress.log(line), onProgress: (state) => progress.update(state), ...(flags.baseline ? { baselineDir: flags.baseline } : {}) }).finally(() => progress.done());
      process.stdout.write(`\n${renderTerminal(report)}\nresults: ${dir} (report.html, summary.md, junit.xml, summary.json)\n\n`);
      // On GitHub Actions the job page shows the Markdown summary of every scenario run.
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${renderMarkdown(report)}\n`);
      exitCode = worst(exitCode, report.exitCode);
    }
    process.exitCode = exitCode;
  });
}

/**
 * `--load k6-operator`: without `--yes`, the dry run (printed here; "dry run" returned); with it,
 * the load the run drives. The cluster's runners reach the target by its URL: a scenario that
 * starts aire's stack on this machine's loopback cannot be sent from a cluster.
 */
async function operatorLoad(loaded: LoadedScenario, flags: { runners: number; sse: boolean; namespace: string; image?: string; yes: boolean }): Promise<ExternalLoad | "dry run"> {
  const { scenario } = loaded;
  if (!scenario.target.url) throw new HarnessError("USAGE", { message: `${loaded.file}: --load k6-operator sends from a cluster, which cannot reach the stack aire starts on this machine; give the scenario a target.url the cluster reaches (and name its host in allow:)` });
  const [{ K6OperatorLoad, dryRun }, { kubernetesAccess }, { hostAllowed }, { planText }, { privateTempDir }] = await Promise.all([import("../commands/k6/operator.js"), import("../orchestrator/run-scenario.js"), import("../scenario/schema.js"), import("../commands/plan.js"), import("../base/lifecycle/temp.js")]);
  const options = { runners: flags.runners, sse: flags.sse, namespace: flags.namespace, ...(flags.image !== undefined ? { image: flags.image } : {}), kube: kubernetesAccess(scenario, loaded.file) ?? { allowed: (host: string) => hostAllowed(host, scenario.allow) } };
  if (flags.yes) return new K6OperatorLoad(options);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(`dry run: aire run ${loaded.file} --load k6-operator would create these objects in namespace ${flags.namespace} and apply these faults; nothing is created (add --yes to run)\n`);
  const temp = privateTempDir("k6-operator-dry-run");
  try {
    await dryRun(loaded, options, { outDir: temp.path, print: out });
  } finally {
    await temp.remove();
  }
  // The plan's timeline and hypotheses; its resolved values are `aire plan`'s to show.
  const plan = planText(loaded);
  out(`\nthe run's timeline (it starts when the operator's starter resumes the runners):\n${plan.slice(0, plan.indexOf("\nresolved values") >>> 0).trimEnd()}`);
  return "dry run";
}
