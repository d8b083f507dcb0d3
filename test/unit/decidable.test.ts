import { describe, expect, test } from "vitest";
import { planText } from "../../harness/commands/plan.js";
import { parseScenario } from "../../harness/scenario/load.js";
import { failuresTolerated, samplesToDecide, wilson } from "../../harness/slo/decidable.js";
import { minimalScenario } from "../helpers/scenarios.js";

describe("how many requests a rate needs", () => {
  test.each([0.5, 0.9, 0.95, 0.99, 0.999])("availability >= %s: the fewest error-free requests whose interval clears it", (t) => {
    const n = samplesToDecide(">=", t)!;
    expect(wilson(n, n)[0]).toBeGreaterThanOrEqual(t);
    if (n > 1) expect(wilson(n - 1, n - 1)[0]).toBeLessThan(t);
  });

  test.each([0.5, 0.1, 0.05, 0.01, 0.005])("error_rate < %s: the fewest requests without an error whose interval clears it", (t) => {
    const n = samplesToDecide("<", t)!;
    expect(wilson(0, n)[1]).toBeLessThan(t);
    if (n > 1) expect(wilson(0, n - 1)[1]).toBeGreaterThanOrEqual(t);
  });

  test("the known figures: 99% takes 381 requests, 99.9% about 3,800", () => {
    expect(samplesToDecide(">=", 0.99)).toBe(381);
    expect(samplesToDecide("<", 0.01)).toBe(381);
    expect(samplesToDecide(">=", 0.999)).toBeGreaterThan(3800);
    expect(samplesToDecide(">=", 0.999)).toBeLessThan(3850);
    expect(samplesToDecide("==", 0.99)).toBeUndefined();
  });

  test("failures tolerated is the last count whose interval still clears the threshold", () => {
    for (const [op, t, n] of [[">=", 0.99, 1000], [">=", 0.95, 160], ["<", 0.02, 300], ["<", 0.05, 100]] as const) {
      const k = failuresTolerated(op, t, n);
      const bound = (bad: number) => (op === ">=" ? wilson(n - bad, n)[0] : wilson(bad, n)[1]);
      const clears = (bad: number) => (op === ">=" ? bound(bad) >= t : bound(bad) < t);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(clears(k)).toBe(true);
      expect(clears(k + 1)).toBe(false);
    }
    expect(failuresTolerated(">=", 0.99, 200)).toBe(-1);
  });
});

describe("aire plan says when a rate cannot be decided", () => {
  // 20 s at 10/s: 200 requests in the window, short of the 381 that 99% needs; 95% needs 73.
  const text = minimalScenario.replace("duration: 2s", "duration: 20s").replace("rate: 5/s", "rate: 10/s") + `hypotheses:
  - name: holds
    during: only
    expect:
      - availability >= 99%
      - availability >= 95%
      - ttft.p95 < 1s
`;

  test("an undecidable threshold gets a warning with the numbers, a decidable one its margin", () => {
    const loaded = parseScenario(text, "tiny.yaml");
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const plan = planText(loaded.value);
    expect(plan).toContain("- availability >= 99%\n      ! cannot PASS with ~200 requests in its window: even with none failing, 381 are needed to show it at 95% confidence");
    expect(plan).toContain(`- availability >= 95%\n      (~200 requests: PASS with at most ${failuresTolerated(">=", 0.95, 200)} on the failing side)`);
    expect(plan).toMatch(/- ttft\.p95 < 1s\n(?! {6})/);
  });
});
