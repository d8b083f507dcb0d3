/**
 * The README's quick start: the one run of the suite whose PASS depends on latency (TTFT p95 under
 * its SLO with a slow primary), so it runs in the e2e group, alone on the machine. The rest of the
 * command line (cli.test.ts), including the same scenario's FAIL with the fallback off, holds
 * beside other tests.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { alive, runCli } from "../helpers/cli.js";
import { onQuietMachine } from "../helpers/machine.js";

const SCENARIO = "scenarios/provider-latency.yaml";
let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));

describe("the quick start", () => {
  test("run: the quick-start scenario passes, prints per-phase figures and verdicts, writes summary.json and events.jsonl", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      const dir = await mkdtemp(join(out, "pass-"));
      const result = await runCli(["run", SCENARIO, "--time-scale", "0.4", "--set", "traffic.arrival.rate=40/s", "--out", dir]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/phase\s+duration\s+requests\s+avail/);
      expect(result.stdout).toMatch(/PASS\s+users barely notice a slow primary/);
      // Not a terminal: plain progress lines every 5 s, with the fault that is on.
      expect(result.stdout).toMatch(/^progress \[baseline 1\/3\] \S+ of 16s · [\d.]+ req\/s · ttft p95 \S+ · errors \S+ · faults: none$/m);
      expect(result.stdout).toMatch(/^progress \[slow-primary 2\/3\] .* faults: \+800ms ±50ms latency on downstream traffic of provider "primary"$/m);
      const run = await onlyRunDir(dir);
      const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
      expect(summary).toMatchObject({ schemaVersion: 2, status: "completed", verdict: "PASS", exitCode: 0 });
      // The primary serves the baseline: the warm-up before it failed no upstream attempt and
      // opened no breaker (its nonce prompt once made every pod build its tokenizer at once, the
      // first round missed the 400 ms TTFT timeout, and the secondary served the whole baseline).
      const baseline = summary.phases.find((p: { name: string }) => p.name === "baseline");
      expect(baseline.providers.primary ?? 0).toBeGreaterThanOrEqual(baseline.requests * 0.95);
      const fault = summary.phases.find((p: { name: string }) => p.name === "slow-primary");
      expect(fault.providers.secondary).toBeGreaterThan(fault.requests * 0.8);
      expect(summary.traffic.scheduled).toBe(640);
      const events = await readEvents(run);
      const types = events.map((e) => e.type);
      expect(events.find((e) => e.type === "warmup")).toMatchObject({ requests: 16, ok: 16, retried: 0 });
      for (const t of ["run_start", "phase_start", "fault_apply", "fault_applied", "fault_revert", "fault_reverted", "run_end"]) expect(types).toContain(t);
      expect(types.indexOf("fault_apply")).toBeLessThan(types.indexOf("fault_applied"));
      const samples = (await readFile(join(run, "samples.jsonl"), "utf8")).trim().split("\n");
      expect(samples).toHaveLength(summary.traffic.completed);
      for (const e of events.filter((e) => e.type === "component_ready")) expect(alive(e.pid!)).toBe(false);
    });
  }, 200_000);
});
