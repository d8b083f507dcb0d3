/**
 * `aire gameday <scenario.yaml>`: the same run as `aire run`, with the game-day console beside it
 * (commands/gameday/console.ts): a viewer link and a facilitator link, each with its own token.
 * @module
 */
import { appendFileSync } from "node:fs";
import { Command } from "commander";
import { HarnessError } from "../base/errors.js";
import { isLoopbackHost } from "../base/net/http-server.js";
import type { StartHold } from "../orchestrator/run-scenario.js";
import { interruptSignal } from "./interrupt.js";
import { loadOptions, port, type ScenarioFlags, wholeNumber, withScenarioFlags } from "./options.js";

export function registerGameday(program: Command): void {
  withScenarioFlags(
    program
      .command("gameday")
      .description("run a scenario as `aire run` does, with a live console in the browser: watch it, inject and stop faults, note what the team sees")
      .argument("[scenario]", "scenario YAML file")
      .option("--to-scenario <dir>", "instead of running: print the game day of a results directory as a scenario (its faults injected by hand scheduled where they ran)")
      .option("--out <dir>", "parent directory for results", "results")
      .option("--host <address>", "the console's address: loopback unless you name another (anyone who can reach it still needs a link's token)", "127.0.0.1")
      .option("--port <n>", "the console's port (0: any free one)", port, 0)
      .option("--hold", "hold at start: the target up and warmed up, the traffic waits for a facilitator's Go in the console")
      .option("--facilitators <n>", "facilitator links to print, each its own token and name on the record (facilitator-1, …)", wholeNumber(1, 20), 1),
  ).action(async (file: string | undefined, flags: ScenarioFlags & { out: string; host: string; port: number; facilitators: number; hold?: boolean; toScenario?: string }) => {
    if (flags.toScenario !== undefined) {
      if (file !== undefined) throw new HarnessError("USAGE", { message: "--to-scenario reads a results directory: give no scenario file with it" });
      const { toScenario } = await import("../commands/gameday/replay.js");
      process.stdout.write(await toScenario(flags.toScenario));
      return;
    }
    if (file === undefined) throw new HarnessError("USAGE", { message: "aire gameday <scenario.yaml> runs a game day; aire gameday --to-scenario <results dir> replays one as a scenario" });
    const [{ loadScenarioOrThrow }, { runScenario }, { Progress }, { renderTerminal }, { renderMarkdown }, { GamedayConsole }] = await Promise.all([import("../scenario/load.js"), import("../orchestrator/run-scenario.js"), import("../../reports/progress.js"), import("../../reports/terminal.js"), import("../../reports/index.js"), import("../commands/gameday/console.js")]);
    const signal = interruptSignal();
    if (signal.aborted) return void (process.exitCode = 130);
    // Its fault windows may be filled by hand: a scenario without scheduled faults may still have them.
    const loaded = await loadScenarioOrThrow(file, { ...loadOptions(flags), faultsByHand: true });
    const console_ = await GamedayConsole.start({ host: flags.host, port: flags.port, loaded, facilitators: flags.facilitators });
    try {
      const progress = new Progress(process.stdout);
      if (!isLoopbackHost(flags.host)) progress.log(`warning: the console listens on ${flags.host}, beyond this machine, over plain HTTP: the links' tokens are all that guard it; share them as you would a password`);
      for (const link of console_.links) progress.log(`game-day console: ${link.by} ${link.url}`);
      const { report, dir } = await runScenario(loaded, {
        outDir: flags.out,
        signal,
        log: (line) => progress.log(line),
        onProgress: (state) => {
          progress.update(state);
          console_.update(state);
        },
        onControl: (control) => console_.attach(control, control.runId),
        ...(flags.hold ? { onHold: (hold: StartHold) => console_.holding(hold) } : {}),
        gameday: true,
      }).finally(() => progress.done());
      console_.ended(report.verdict, report.runId);
      process.stdout.write(`\n${renderTerminal(report)}\nresults: ${dir} (report.html, summary.md, junit.xml, summary.json)\n\n`);
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${renderMarkdown(report)}\n`);
      process.exitCode = report.exitCode;
    } finally {
      await console_.close();
    }
  });
}
