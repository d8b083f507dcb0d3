import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("the scenario library, proven both ways", () => {
  test("every scenario validates, PASSes against the resilient gateway and gets its claimed verdict against the naive one (quick form)", async () => {
    const scenarios = (await readdir("scenarios")).filter((f) => f.endsWith(".yaml")).map((f) => join("scenarios", f));
    // The twelve game days of the library (issue 9), at least.
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    const valid = await runCli(["validate", ...scenarios]);
    expect(valid.code).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), "aire-proof-"));
    try {
      const result = await runCli(["proof", ...scenarios, "--quick", "--out", dir], { timeoutMs: 900_000 });
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/\| scenario \| resilient \| naive \| requests \| time \|/);
      for (const file of scenarios) {
        const name = file.replace(/^scenarios\//, "").replace(/\.yaml$/, "");
        // PASS against resilient; against naive the claimed verdict (FAIL when the hypothesis is about a gateway policy).
        expect(result.stdout).toMatch(new RegExp(`^\\| ${name} \\| PASS ✓ \\| ((PASS|FAIL) ✓|–) \\|`, "m"));
      }
      expect(result.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
