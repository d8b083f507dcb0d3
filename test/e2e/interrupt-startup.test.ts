/**
 * Issue 18, defect 6: a SIGINT while the stack is still starting (2 providers × 8 pod processes)
 * stops the run at once: exit 130 well within the README's 5 s, no process of the run left, and
 * no temp file once the next run has swept. The run's processes are found by the TMPDIR this test
 * gives it, which every config path on their command lines contains; the clock starts when the first
 * of them appears, so each case interrupts the stack's start-up however fast this machine is (a
 * fixed delay from the CLI's launch fell inside Node's own boot on a loaded machine; a signal there
 * is interrupt-storm.test.ts's case).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { processesWith, startCli } from "../helpers/cli.js";

const scenario = `apiVersion: aire/v1
name: big-stack
target:
  reference:
    providers:
      - { name: primary, pods: 8, slotsPerPod: 4 }
      - { name: secondary, pods: 8, slotsPerPod: 4 }
traffic:
  arrival: { rate: 5/s }
phases:
  - { name: only, duration: 5s }
`;


describe("an interrupt during stack start-up", () => {
  test.each([0, 600, 1500])("SIGINT %i ms into the stack's start-up: exit 130 within 5 s, no process and no temp file left", async (afterMs) => {
    const root = await mkdtemp(join(tmpdir(), "aire-interrupt-startup-"));
    const tmp = join(root, "tmp");
    try {
      await mkdir(tmp);
      await writeFile(join(root, "s.yaml"), scenario);
      const { child, done } = startCli(["run", join(root, "s.yaml"), "--out", join(root, "out")], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
      const appeared = performance.now() + 30_000;
      while ((await processesWith(tmp)).length === 0 && child.exitCode === null && performance.now() < appeared) await new Promise((r) => setTimeout(r, 20));
      expect(await processesWith(tmp)).not.toEqual([]);
      await new Promise((r) => setTimeout(r, afterMs));
      // Still starting: no traffic yet.
      expect(child.exitCode).toBeNull();
      const signalled = performance.now();
      child.kill("SIGINT");
      const result = await done;
      const ms = performance.now() - signalled;
      expect(result.code).toBe(130);
      expect(result.stdout).not.toMatch(/phase only/);
      // The README promises well under 5 s from any moment. While the stack starts (about 3 s for
      // 19 processes here) nothing need be waited for: measured 0.2 s, where waiting for the whole
      // stack took 2.7–10.7 s.
      expect(ms).toBeLessThan(afterMs < 1_000 ? 1_500 : 5_000);
      // The pods of a provider that was stopped while starting get its SIGTERM as it exits (even
      // those still booting Node): gone within 2 s. Without it, pods still loading their modules
      // noticed the lost parent only once loaded: 8 of 16 were still there 2 s after the exit.
      const deadline = performance.now() + 2_000;
      while ((await processesWith(tmp)).length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await processesWith(tmp)).toEqual([]);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
