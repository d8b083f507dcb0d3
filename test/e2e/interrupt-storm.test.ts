/**
 * A standing guarantee (issue 18): runs stopped at random moments — during start-up, traffic,
 * a fault, or their own rollback — by SIGINT, SIGTERM or SIGKILL leave no process (so no listening
 * port) and, once the next run has swept, no temp file; and `aire report` builds a report from
 * every results directory they left. The moments and signals are drawn by fast-check (its seed is
 * printed on a failure); each run's processes are found by the TMPDIR the test gives it.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { processesWith, runCli, startCli } from "../helpers/cli.js";

const scenario = `apiVersion: aire/v1
name: storm
target:
  reference:
    providers:
      - { name: primary, pods: 2, slotsPerPod: 8, ttft: 20ms, decodeTokensPerSec: 400 }
      - { name: secondary, slotsPerPod: 8, ttft: 20ms, decodeTokensPerSec: 400 }
traffic:
  arrival: { rate: 20/s }
  mix: [ { name: chat, maxTokens: 8 } ]
phases:
  - { name: calm, duration: 1500ms }
  - name: faulted
    duration: 2s
    faults:
      - { kind: latency, proxy: primary, latency: 100ms }
      - { kind: error-burst, provider: primary, status: 503, fraction: 0.5 }
  - { name: after, duration: 1s }
hypotheses:
  - { name: calm, during: calm, minSamples: 5, expect: [ "availability >= 50%" ] }
`;


let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aire-interrupt-storm-"));
  await writeFile(join(root, "storm.yaml"), scenario);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const signals = ["SIGINT", "SIGTERM", "SIGKILL"] as const;

describe("interrupt storm", () => {
  test("random signals at random moments, a second one during rollback: nothing left, every directory reports", async () => {
    const tmp = join(root, "tmp");
    await mkdir(tmp);
    const out = join(root, "out");
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 7_000 }), fc.constantFrom(...signals), fc.option(fc.tuple(fc.integer({ min: 20, max: 600 }), fc.constantFrom(...signals)), { nil: undefined }), async (afterMs, first, second) => {
        runs++;
        const { child, done } = startCli(["run", join(root, "storm.yaml"), "--out", out], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
        await new Promise((r) => setTimeout(r, afterMs));
        child.kill(first);
        if (second) {
          // A second signal while the first one's rollback runs: SIGINT/SIGTERM are noted, SIGKILL ends it.
          await new Promise((r) => setTimeout(r, second[0]));
          child.kill(second[1]);
        }
        const result = await done;
        // A signal in Node's own start-up, before any of aire's code runs, ends the process by
        // default (nothing was started yet; a shell reports 130 all the same); from then on
        // SIGINT/SIGTERM give 130 (or 0 when the run had already ended), and aire says so on
        // stderr. So a process that died of SIGINT/SIGTERM must not have written a byte. (How long
        // Node's boot lasts depends on the machine: 0.1–0.15 s here when quiet, over 0.3 s loaded.)
        // The other end: once aire has written its last line (the results directory), Node tears itself
        // down and restores the signals' default action for its last milliseconds; a signal then ends
        // it by that signal, with the run finished — faults rolled back, stack down, reports written
        // (a flood of SIGINT after that line killed it in 4 runs of 4, 13–21 ms after the line).
        const finished = /^results: /m.test(result.stdout);
        const killed = first === "SIGKILL" || second?.[1] === "SIGKILL" || result.signal !== null;
        if (!killed) expect([130, 0]).toContain(result.code);
        if (result.signal !== null && first !== "SIGKILL" && second?.[1] !== "SIGKILL" && !finished) expect(result.stdout + result.stderr).toBe("");
        // Every process of the run stops (the children notice a dead parent by their IPC channel).
        const deadline = performance.now() + 10_000;
        while ((await processesWith(tmp)).length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(await processesWith(tmp)).toEqual([]);
        if (!killed) expect(await readdir(tmp)).toEqual([]);
      }),
      { numRuns: 6, endOnFailure: true },
    );
    expect(runs).toBe(6);
    // aire report builds a report from every directory the storm left (exit 2 would mean it could not).
    for (const dir of await readdir(out)) {
      const report = await runCli(["report", join(out, dir)]);
      expect(report.stderr).toBe("");
      expect([0, 1, 3, 4, 130]).toContain(report.code);
    }
    // The next run sweeps what the killed ones left, and leaves nothing itself.
    const next = await runCli(["run", join(root, "storm.yaml"), "--out", out, "--time-scale", "0.5"], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
    expect(next.code, next.stdout).toBe(0);
    expect(await readdir(tmp)).toEqual([]);
  }, 240_000);
});
