/**
 * `aire ingest`: score a scenario's hypotheses on k6 results: the --out json files of one or many runners (k6-operator parallelism), merged, so percentiles are global.
 * @module
 */
import { Command } from "commander";
import { HarnessError } from "../base/errors.js";
import { loadOptions, type ScenarioFlags, withScenarioFlags } from "./options.js";

export function registerIngest(program: Command): void {
  withScenarioFlags(
    program
      .command("ingest")
      .description("score a scenario's hypotheses on k6 results: the --out json files of one or many runners (k6-operator parallelism), merged, so percentiles are global")
      .addArgument(new Command().createArgument("<tool>", "the tool that produced the files").choices(["k6"]))
      .argument("<file...>", "k6 --out json files (NDJSON, .gz too), one per runner; or the JSON files an exported script's handleSummary writes (aggregates: fewer assertions can be scored)")
      .requiredOption("--scenario <file>", "the scenario whose hypotheses and phases apply")
      .option("--out <dir>", "parent directory for results", "results"),
  ).action(async (_tool: string, files: string[], flags: ScenarioFlags & { scenario: string; out: string }) => {
    const [{ loadScenarioOrThrow }, { ingestK6 }, { buildReport, writeReports }, { renderTerminal }, summary] = await Promise.all([import("../scenario/load.js"), import("../commands/k6/ingest.js"), import("../../reports/index.js"), import("../../reports/terminal.js"), import("../commands/k6/summary.js")]);
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
}
