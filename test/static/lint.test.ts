import { ESLint } from "eslint";
import { expect, test } from "vitest";
import { ROOT } from "../helpers/cli.js";

// The linter's short rule set (eslint.config.js) runs in the suite, so that a floating promise or a
// bare Error fails the build like a failing test, and an eslint-disable has to say why.
test("eslint: no problem in the sources and tests", async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const results = await eslint.lintFiles(["harness", "faults", "reports", "bench", "test"]);
  const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(ROOT.length)}:${m.line}:${m.column} ${m.message} (${m.ruleId ?? "parse"})`));
  expect(problems).toEqual([]);
  expect(results.length).toBeGreaterThan(100);
}, 180_000);
