/**
 * `aire proof`: each scenario run against the `resilient` gateway profile (with the scenario's own
 * gateway settings) and against the `naive` one (the whole gateway block replaced), its verdicts
 * checked against the scenario's `proof:` claim (PASS against resilient; FAIL against naive when
 * the hypothesis is about a gateway policy). A verdict is only trusted when it is the claimed one:
 * INCONCLUSIVE never counts as either.
 * @module
 */
import { basename } from "node:path";
import { loadScenarioOrThrow, type LoadOptions } from "../scenario/load.js";
import { runScenario, type RunOptions } from "../orchestrator/run-scenario.js";

export interface ProofRow {
  scenario: string;
  file: string;
  profile: "resilient" | "naive";
  expected: "PASS" | "FAIL";
  verdict: string;
  ok: boolean;
  seconds: number;
  requests: number;
  dir: string;
}

export async function prove(files: readonly string[], load: LoadOptions, run: Omit<RunOptions, "log"> & { log?: (line: string) => void }): Promise<ProofRow[]> {
  const rows: ProofRow[] = [];
  for (const file of files) {
    const claim = (await loadScenarioOrThrow(file, load)).scenario.proof ?? { resilient: "PASS" as const };
    for (const profile of ["resilient", "naive"] as const) {
      const expected = claim[profile as keyof typeof claim];
      if (expected === undefined) continue;
      if (run.signal?.aborted) return rows;
      // Against naive, the scenario's own gateway tuning goes too: the profile alone.
      const set = profile === "naive" ? ["target.reference.gateway={ profile: naive }"] : [];
      const loaded = await loadScenarioOrThrow(file, { ...load, set: [...(load.set ?? []), ...set] });
      const started = performance.now();
      const { report, dir } = await runScenario(loaded, { ...run, log: run.log ?? (() => {}) });
      const verdict = report.verdict;
      rows.push({ scenario: loaded.scenario.name, file: basename(file), profile, expected, verdict, ok: verdict === expected, seconds: Math.round((performance.now() - started) / 100) / 10, requests: report.traffic.scheduled, dir });
    }
  }
  return rows;
}

/** The table docs/scenarios.md carries: one row per scenario, both columns. */
export function proofTable(rows: readonly ProofRow[]): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const cell = (r: ProofRow | undefined) => (r === undefined ? "–" : `${r.verdict}${r.ok ? " ✓" : ` ✗ (expected ${r.expected})`}`);
  const lines = ["| scenario | resilient | naive | requests | time |", "|---|---|---|---|---|"];
  for (const name of scenarios) {
    const resilient = rows.find((r) => r.scenario === name && r.profile === "resilient");
    const naive = rows.find((r) => r.scenario === name && r.profile === "naive");
    const both = [resilient, naive].filter((r): r is ProofRow => r !== undefined);
    lines.push(`| ${name} | ${cell(resilient)} | ${cell(naive)} | ${both.map((r) => r.requests).join(" + ")} | ${both.map((r) => `${r.seconds}s`).join(" + ")} |`);
  }
  return lines.join("\n");
}
