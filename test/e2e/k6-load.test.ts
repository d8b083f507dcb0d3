/**
 * `aire run --load k6 --runners 2 --sse`: real k6 (with xk6-sse) sends the traffic while aire
 * drives the fault timeline; the hypotheses are scored on the merged runners. The PASS with the
 * resilient gateway depends on latency (and on k6-sse's own CPU); the FAIL with the naive one does
 * not, but two k6-sse runners at 40 streams/s beside a stack take most of this 2-core machine:
 * next to another file they starved its runs (the interrupt storm's last run, exit 1). Both are
 * here, in the e2e group, alone on the machine; the stops, with stock k6 at 10/s, hold beside
 * other files (k6-load-stops.test.ts).
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alive, onPath, runCli } from "../helpers/cli.js";
import { onQuietMachine } from "../helpers/machine.js";
import { onlyRunDir, readEvents } from "../helpers/results.js";

const k6 = onPath("k6-sse");
if (!k6) console.log("aire run --load k6 tests skipped: k6-sse is not on PATH (../shared/tools/bin has it; .ci/run puts it on PATH)");

let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-k6-load-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));

type LoadEvent = { type: string; load?: { tool: string; runners: { pid: number; port: number; segment: string; file: string }[] } };

describe.skipIf(!k6)("aire run --load k6", () => {
  test("provider-latency with two k6-sse runners: the fault applied while k6 sends, PASS with the resilient gateway as aire run's, every runner gone after", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      const dir = await mkdtemp(join(out, "pass-"));
      const result = await runCli(["run", "scenarios/provider-latency.yaml", "--quick", "--load", "k6", "--runners", "2", "--sse", "--out", dir], { timeoutMs: 120_000 });
      expect(result.stderr).toBe("");
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(/2 k6 runners ready, paused \(k6-sse; pids \d+, \d+;/);
      expect(result.stdout).toMatch(/PASS\s+users barely notice a slow primary/);
      const run = await onlyRunDir(dir);
      const events = (await readEvents(run)) as (LoadEvent & { fault?: string; t: number })[];
      const load = events.find((e) => e.type === "traffic_start")!.load!;
      expect(load.tool).toBe("k6-sse");
      expect(load.runners.map((r) => r.segment)).toEqual(["0:1/2", "1/2:1"]);
      // Both runners sent: each wrote its own points.
      for (const r of load.runners) expect((await stat(r.file)).size).toBeGreaterThan(10_000);
      for (const r of load.runners) expect(alive(r.pid)).toBe(false);
      // Resumed together: each runner's first request within a second of the start, and each sent its half.
      const end = events.find((e) => e.type === "traffic_end") as unknown as { runners: { requests: number; firstRequestMs: number }[] };
      for (const r of end.runners) {
        expect(r.firstRequestMs).toBeLessThan(1000);
        expect(r.requests).toBeGreaterThan(250);
      }
      const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
      expect(summary).toMatchObject({ status: "completed", verdict: "PASS" });
      // k6 reports no schedule lag; the rate was kept (40/s for 16 s, no dropped iterations).
      expect(summary.traffic).toMatchObject({ lagMeasured: false, valid: true });
      expect(summary.traffic.dropped ?? 0).toBe(0);
      expect(summary.total.requests).toBeGreaterThan(600);
      // The fault was on while k6 sent: the slow phase was served by the secondary, the others mostly by the primary.
      const phase = (name: string) => summary.phases.find((p: { name: string }) => p.name === name);
      expect(phase("slow-primary").providers.secondary).toBeGreaterThan(phase("slow-primary").requests * 0.9);
      expect(phase("baseline").providers.primary).toBeGreaterThan(phase("baseline").requests * 0.9);
      const types = events.map((e) => e.type);
      expect(types.indexOf("fault_applied")).toBeGreaterThan(types.indexOf("traffic_start"));
      expect(types).toContain("fault_reverted");
    });
  }, 300_000);

  test("the naive gateway: users notice the slow primary, FAIL as with aire run (exit 1)", async () => {
    const dir = await mkdtemp(join(out, "naive-"));
    const result = await runCli(["run", "scenarios/provider-latency.yaml", "--quick", "--load", "k6", "--runners", "2", "--sse", "--set", "target.reference.gateway.profile=naive", "--out", dir], { timeoutMs: 120_000 });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+users barely notice a slow primary/);
    const summary = JSON.parse(await readFile(join(await onlyRunDir(dir), "summary.json"), "utf8"));
    expect(summary.hypotheses.find((h: { name: string }) => h.name === "users barely notice a slow primary").verdict).toBe("FAIL");
  }, 120_000);
});
