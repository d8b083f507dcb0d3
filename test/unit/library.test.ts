/**
 * The scenario library (scenarios/*.yaml), in full and in quick form: each loads, and `aire plan`
 * finds every rate hypothesis decidable with the requests its window will hold. In-process (the
 * loader and the plan are what `aire validate` and `aire plan` print; cli.test.ts runs those as
 * processes): 26 CLI processes cost 12 s of the suite's serial part.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { planText } from "../../harness/commands/plan.js";
import { formatIssue, loadScenarioFile } from "../../harness/scenario/load.js";

const scenarios = (await readdir("scenarios")).filter((f) => f.endsWith(".yaml")).map((f) => join("scenarios", f));

test("the twelve game days of the library (issue 9), at least", () => {
  expect(scenarios.length).toBeGreaterThanOrEqual(12);
});

test.each(scenarios.flatMap((file) => [[file, false] as const, [file, true] as const]))("%s (quick: %s): valid, and every rate hypothesis can be decided", async (file, quick) => {
  const result = await loadScenarioFile(file, { quick });
  expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  if (!result.ok) return;
  expect(planText(result.value)).not.toMatch(/! cannot PASS/);
});
