/**
 * `aire export`: write the scenario's traffic as a k6 script (with its request bodies, thresholds and a k6-operator TestRun), for more load than one process sends.
 * @module
 */
import { Command } from "commander";
import { loadOptions, positiveNumber, type ScenarioFlags, withScenarioFlags } from "./options.js";

export function registerExport(program: Command): void {
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
    const [{ loadScenarioOrThrow }, { exportK6, renderExport }] = await Promise.all([import("../scenario/load.js"), import("../commands/k6/export.js")]);
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
}
