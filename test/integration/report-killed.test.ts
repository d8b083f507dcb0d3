/**
 * Issue 18, defect 8: a run killed at any moment leaves a results directory that `aire report`
 * turns into a report of what exists (exit 3, INCOMPLETE), even one killed right after its files
 * were created: no `run_start`, a torn line, or no events file at all.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";

const header = "# aire resolved scenario: run tiny-20261202-101010-ab12, file scenarios/tiny.yaml, seed 7, time scale 0.5\n# --set seed=7\n";
const source = `apiVersion: aire/v1
name: tiny
seed: 7
target:
  reference:
    providers:
      - { name: primary }
traffic:
  arrival: { rate: 5/s }
phases:
  - { name: only, duration: 4s }
hypotheses:
  - { name: h, during: only, expect: [ "availability >= 90%" ] }
`;

let root: string;
beforeAll(async () => void (root = await mkdtemp(join(tmpdir(), "aire-report-killed-"))));
afterAll(async () => rm(root, { recursive: true, force: true }));

describe("aire report on a run killed as its files were made", () => {
  test.each([
    ["an empty events.jsonl", ""],
    ["a torn first line", '{"type":"run_st'],
    ["no events.jsonl", undefined],
  ])("%s: exit 3, INCOMPLETE, every report written", async (_name, events) => {
    const dir = await mkdtemp(join(root, "run-"));
    await writeFile(join(dir, "scenario.resolved.yaml"), header + source);
    if (events !== undefined) await writeFile(join(dir, "events.jsonl"), events);
    const result = await runCli(["report", dir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/verdict: INCOMPLETE/);
    const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ runId: "tiny-20261202-101010-ab12", status: "incomplete", verdict: "INCOMPLETE", exitCode: 3, scenario: { name: "tiny", seed: 7, timeScale: 0.5, set: ["seed=7"] }, total: { requests: 0 } });
    // The timeline is the time-scaled one the run had.
    expect(summary.phases[0].durationMs).toBe(2_000);
    for (const file of ["report.html", "junit.xml", "summary.md"]) expect((await stat(join(dir, file))).size).toBeGreaterThan(100);
  });

  test("a directory with neither file is not a results directory (exit 2)", async () => {
    const dir = await mkdtemp(join(root, "empty-"));
    const result = await runCli(["report", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a results directory/);
  });
});
