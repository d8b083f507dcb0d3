/**
 * `aire validate|plan|run my-scenario.ts` (issue 23): a TypeScript scenario through the command
 * line, compiled in-process, with the same plan and the same recorded scenario as its YAML twin.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { loadScenarioFile, parseScenario } from "../../harness/scenario/load.js";
import { runCli } from "../helpers/cli.js";

const TS = "test/fixtures/modules/provider-latency.ts";
const YAML = "scenarios/provider-latency.yaml";

test("a TypeScript scenario validates, plans as its YAML twin does, and runs to a verdict that records the same scenario", async () => {
  expect((await runCli(["validate", TS])).stdout).toBe(`${TS}: ok (provider-latency, 3 phases, 3 hypotheses)\n`);
  const [ts, yaml] = await Promise.all([runCli(["plan", TS, "--quick"]), runCli(["plan", YAML, "--quick"])]);
  expect(ts.code).toBe(0);
  // The same plan but for the file's name (the YAML's comments and line marks aside).
  const body = (s: string, file: string) => s.split("\n").filter((l) => !l.includes(file)).map((l) => l.replace(/ {2}# .*$/, "")).join("\n");
  expect(body(ts.stdout, TS)).toBe(body(yaml.stdout, YAML));
  const out = await mkdtemp(join(tmpdir(), "aire-ts-run-"));
  try {
    const run = await runCli(["run", TS, "--time-scale", "0.2", "--set", "traffic.arrival.rate=20/s", "--out", out], { timeoutMs: 90_000 });
    expect(run.stderr).toBe("");
    expect([0, 1]).toContain(run.code);
    const [dir] = await readdir(out);
    expect(["PASS", "FAIL", "INCONCLUSIVE"]).toContain(JSON.parse(await readFile(join(out, dir!, "summary.json"), "utf8")).verdict);
    const recorded = parseScenario(await readFile(join(out, dir!, "scenario.resolved.yaml"), "utf8"), "scenario.resolved.yaml");
    const twin = await loadScenarioFile(YAML, { timeScale: 0.2, set: ["traffic.arrival.rate=20/s"] });
    expect(recorded.ok && twin.ok).toBe(true);
    if (recorded.ok && twin.ok) expect({ ...recorded.value.scenario, phases: recorded.value.scenario.phases.map((p) => p.name) }).toEqual({ ...twin.value.scenario, phases: twin.value.scenario.phases.map((p) => p.name) });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}, 120_000);
