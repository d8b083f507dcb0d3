/**
 * `aire capacity` on the bundled stack: a small pool (4 sequences, answers of 8 tokens) whose
 * knee is sharp, searched from 30/s. Every step is a real scored run.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { kneeOf } from "../../harness/capacity.js";
import { runCli } from "../helpers/cli.js";

interface Step {
  rate: number;
  seed: number;
  purpose: string;
  verdict: string;
  ttftP95: number | null;
  dir: string;
}

describe("aire capacity", () => {
  test("finds the highest passing rate by ramp and bisection, verifies its neighbours with another seed, and reports the evidence", async () => {
    const out = await mkdtemp(join(tmpdir(), "aire-capacity-"));
    try {
      const result = await runCli(["capacity", "test/fixtures/scenarios/capacity.yaml", "--from", "30/s", "--tolerance", "25%", "--require", "20/s", "--out", out], { timeoutMs: 170_000 });
      expect(result.stderr).toBe("");
      const [dir] = await readdir(out);
      const capacity = JSON.parse(await readFile(join(out, dir!, "capacity.json"), "utf8")) as { capacity: number; firstFailure: number; verified: boolean; steps: Step[]; exitCode: number };
      const search = capacity.steps.filter((s) => s.purpose === "ramp" || s.purpose === "bisect");
      // The ramp doubles from 30/s until a step fails; bisection then brackets the capacity within 25%.
      expect(search.slice(0, 2).map((s) => [s.rate, s.purpose])).toEqual([[30, "ramp"], [60, "ramp"]]);
      expect(capacity.capacity).toBeGreaterThanOrEqual(30);
      expect(capacity.firstFailure).toBeGreaterThan(capacity.capacity);
      expect((capacity.firstFailure - capacity.capacity) / capacity.capacity).toBeLessThanOrEqual(0.25);
      // Consistent evidence: every rate searched at or below the capacity PASSed, every one at or above the first failure did not.
      for (const s of search) expect(s.verdict === "PASS").toBe(s.rate <= capacity.capacity);
      // Its neighbours, checked again with another seed: the capacity passes, the step above fails.
      const verify = capacity.steps.filter((s) => s.purpose.startsWith("verify"));
      expect(verify.map((s) => [s.purpose, s.rate, s.seed, s.verdict === "PASS"])).toEqual([
        ["verify-pass", capacity.capacity, 6, true],
        ["verify-fail", capacity.firstFailure, 6, false],
      ]);
      expect(capacity.verified).toBe(true);
      // Past the knee the pool queues: TTFT p95 at the first failure is well above the lowest rate's.
      const lowest = search.find((s) => s.rate === 30)!;
      const failing = search.find((s) => s.rate === capacity.firstFailure)!;
      expect(failing.ttftP95!).toBeGreaterThan(1.5 * lowest.ttftP95!);
      // Each step is a full run with its own results; the HTML draws one dot per step.
      for (const s of capacity.steps) expect(JSON.parse(await readFile(join(s.dir, "summary.json"), "utf8")).verdict).toBe(s.verdict);
      const html = await readFile(join(out, dir!, "capacity.html"), "utf8");
      expect(html.match(/<circle class="step"/g)?.length).toBe(3 * capacity.steps.length);
      expect(result.stdout).toMatch(new RegExp(`capacity ${capacity.capacity}/s \\(${capacity.firstFailure}/s did not PASS\\), verified with another seed; meets the required 20/s`));
      expect(result.code).toBe(0);
      expect(capacity.exitCode).toBe(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 180_000);

  test("--require above the capacity exits 1; an arrival without one rate is refused (exit 2)", async () => {
    const out = await mkdtemp(join(tmpdir(), "aire-capacity-"));
    try {
      // Two steps only: 30/s passes, 60/s does not; no verification.
      const below = await runCli(["capacity", "test/fixtures/scenarios/capacity.yaml", "--from", "30/s", "--max-steps", "2", "--no-verify", "--require", "1000/s", "--out", out], { timeoutMs: 60_000 });
      expect(below.stdout).toMatch(/BELOW the required 1000\/s/);
      expect(below.code).toBe(1);
      const steps = await runCli(["capacity", "test/fixtures/scenarios/capacity.yaml", "--set", "traffic.arrival={ type: ramp, from: 1/s, to: 5/s }", "--out", out]);
      expect(steps.code).toBe(2);
      expect(steps.stderr).toMatch(/needs an arrival with one rate \(constant, poisson or gamma\); this one is ramp/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 90_000);

  test("the knee: the highest rate before TTFT p95 rose by half over its value at the lowest rate", () => {
    const s = (rate: number, ttftP95: number | null, purpose = "ramp") => ({ rate, ttftP95, purpose: purpose as "ramp" });
    expect(kneeOf([s(10, 100), s(20, 110), s(40, 140), s(80, 900)])).toBe(40);
    expect(kneeOf([s(10, 100), s(20, 100)])).toBeNull(); // never rose: no knee within the rates tried
    expect(kneeOf([s(10, 100), s(20, 400)])).toBe(10);
    expect(kneeOf([s(10, 100), s(20, 120), s(30, 5000, "verify-fail")])).toBeNull(); // verification runs do not count
  });
});
