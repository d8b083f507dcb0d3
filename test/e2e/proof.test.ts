import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { onQuietMachine } from "../helpers/machine.js";

/**
 * The whole library is proven both ways every night at full length (.github/workflows/
 * nightly-resilience.yml) and by `npm run proof`; the suite proves one representative scenario in
 * quick form: a gateway policy that the resilient profile holds and the naive one does not. The
 * stream idle timeout: the fallback is the quick start's to prove (PASS with it, FAIL without), and
 * this scenario's quick form is among the shortest (14 s; provider-outage-failover's is 22 s).
 */
const REPRESENTATIVE = ["slow-stream-stall"];

describe("the scenario library", () => {
  test(`${REPRESENTATIVE.join(" and ")}: PASS against the resilient gateway, its claimed FAIL against the naive one (quick form)`, async (ctx) => {
    // A run is about a core of CPU: when the hypervisor took the machine, its verdict says nothing of aire.
    await onQuietMachine(ctx, async () => {
      const dir = await mkdtemp(join(tmpdir(), "aire-proof-"));
      try {
        const result = await runCli(["proof", ...REPRESENTATIVE.map((name) => `scenarios/${name}.yaml`), "--quick", "--out", dir], { timeoutMs: 300_000 });
        expect(result.stderr).toBe("");
        expect(result.stdout).toMatch(/\| scenario \| resilient \| naive \| requests \| time \|/);
        expect(result.stdout).toMatch(/^\| slow-stream-stall \| PASS ✓ \| FAIL ✓ \|/m);
        expect(result.code).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, { attempts: 2 });
  }, 600_000);
});
