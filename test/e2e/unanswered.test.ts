/**
 * Issue 18, defect 9: a request that a user sent and never got answered is a failure of the window
 * it was sent in, never left out. A ground-truth server (its own process) answers at once, then
 * nothing, from the fifth request of the second phase on; aire's run ends 1 s after its last phase
 * (`limits.drain`), long before the client timeout: every request still open then is scored.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { scriptServer } from "../helpers/script-server.js";

const scenario = (url: string) => `apiVersion: aire/v1
name: hang
seed: 5
target: { url: ${url}/v1 }
traffic:
  arrival: { rate: 20/s }
  mix: [ { name: chat, stream: false, maxTokens: 4 } ]
  client: { timeout: 60s }
phases:
  - { name: answered, duration: 2s }
  - { name: hanging, duration: 2s }
limits: { drain: 1s }
hypotheses:
  - { name: users get answers, during: run, expect: [ "availability >= 99%", "e2e_any.max < 5s" ] }
  - { name: the hanging phase, during: hanging, minSamples: 10, expect: [ "error_rate{class=unanswered} > 75%" ] }
`;

describe("requests still open when the run ends", () => {
  test("are failures of their own class in the window they were sent in, not dropped: the run FAILs", async () => {
    // Answers the 16 warm-up requests and the first 44 of the run in 5 ms, then nothing: the
    // answered phase's 40 and 4 of the hanging phase's 40 get answers, whatever the timing.
    await using server = await scriptServer("exact.mjs", ["answer", 5, 16 + 44]);
    const dir = await mkdtemp(join(tmpdir(), "aire-unanswered-"));
    try {
      const file = join(dir, "hang.yaml");
      await writeFile(file, scenario(server.url));
      const started = performance.now();
      const result = await runCli(["run", file, "--out", join(dir, "results")], { timeoutMs: 60_000 });
      const ms = performance.now() - started;
      // The run waited its 1 s drain, not the 60 s client timeout.
      expect(ms).toBeLessThan(20_000);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(1);
      const [run] = await readdir(join(dir, "results"));
      const summary = JSON.parse(await readFile(join(dir, "results", run!, "summary.json"), "utf8"));
      expect(summary.traffic.scheduled).toBe(80);
      expect(summary.traffic.cancelled).toBe(0);
      expect(summary.traffic.unanswered).toBe(36);
      expect(summary.traffic.completed).toBe(80);
      const [all, hanging] = summary.hypotheses;
      expect(all.verdict).toBe("FAIL");
      expect(all.assertions[0].samples).toBe(80);
      expect(all.assertions[0].observed).toBe(0.55);
      expect(hanging.verdict).toBe("PASS");
      expect(result.stdout).toMatch(/80 measured \(\d+ unanswered when the run ended\), 0 cancelled/);
      // Each unanswered request waited from its intended send to the end of the drain.
      const samples = (await readFile(join(dir, "results", run!, "samples.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
      const unanswered = samples.filter((s) => s.errorClass === "unanswered");
      expect(unanswered.length).toBe(summary.traffic.unanswered);
      for (const s of unanswered) {
        expect(s.phase).toBe("hanging");
        expect(s.ok).toBe(false);
        expect(s.scheduledAt + s.e2e).toBeGreaterThanOrEqual(4_000 + 1_000 - 5);
      }
    } finally {
      if (!process.env.KEEP) await rm(dir, { recursive: true, force: true });
    }
  });
});
