/**
 * Issue 18, defect 7: what a run writes to the temp directory (component configs with admin tokens
 * and tenant keys) is private while it exists (files 0600, directories 0700) and gone after the run
 * — ended, interrupted, or SIGKILLed and then swept by the next run. Each run here gets a temp
 * directory of its own (TMPDIR), so nothing else's files are counted.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli, startCli, stillAlive } from "../helpers/cli.js";

const scenario = `apiVersion: aire/v1
name: temp-files
target:
  reference:
    providers:
      - { name: primary, pods: 2, slotsPerPod: 8, ttft: 20ms, decodeTokensPerSec: 400 }
      - { name: secondary, pods: 1, slotsPerPod: 8, ttft: 20ms, decodeTokensPerSec: 400 }
traffic:
  arrival: { rate: 10/s }
  mix: [ { name: chat, maxTokens: 4 } ]
  tenants: [ { name: a }, { name: b } ]
phases:
  - { name: one, duration: 2s }
  - name: two
    duration: 2s
    faults: [ { kind: latency, proxy: primary, latency: 50ms } ]
`;

/** Every entry under `dir`, with its mode. */
async function entries(dir: string): Promise<{ path: string; dir: boolean; mode: number }[]> {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (!s) continue;
    out.push({ path, dir: s.isDirectory(), mode: s.mode & 0o777 });
    if (s.isDirectory()) out.push(...(await entries(path)));
  }
  return out;
}

let root: string;
let file: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aire-temp-files-"));
  file = join(root, "s.yaml");
  await writeFile(file, scenario);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the temp directory after a run", () => {
  test("while a run goes, its temp files are private; when it ends, none is left", async () => {
    const tmp = await mkdtemp(join(root, "tmp-"));
    const { child, done } = startCli(["run", file, "--out", join(root, "out")], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
    const seen = new Map<string, { dir: boolean; mode: number }>();
    let running = true;
    void done.then(() => (running = false));
    while (running) {
      for (const e of await entries(tmp)) seen.set(e.path, e);
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await done;
    expect(result.code).toBe(0);
    void child;
    // Seen: the stack's configs and the providers' pod configs, each holding a token or key.
    expect([...seen.values()].filter((e) => !e.dir).length).toBeGreaterThanOrEqual(4);
    for (const [path, e] of seen) expect([path, e.mode.toString(8)]).toEqual([path, e.dir ? "700" : "600"]);
    expect(await entries(tmp)).toEqual([]);
  }, 60_000);

  test.each(["SIGINT", "SIGKILL"] as const)("%s mid-run: nothing is left once the next run has swept", async (signal) => {
    const tmp = await mkdtemp(join(root, "tmp-"));
    const { child, done } = startCli(["run", file, "--out", join(root, "out")], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on("line", (line) => line.includes("fault on:") && resolve()));
    child.kill(signal);
    const killed = await done;
    expect(killed.code ?? killed.signal).toBe(signal === "SIGINT" ? 130 : "SIGKILL");
    // The children notice their parent is gone and stop by themselves.
    await stillAlive([...killed.stdout.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])));
    if (signal === "SIGINT") expect(await entries(tmp)).toEqual([]);
    // The next run sweeps what a killed one left, and leaves nothing of its own.
    const next = await runCli(["run", file, "--out", join(root, "out"), "--time-scale", "0.5"], { env: { TMPDIR: tmp }, timeoutMs: 60_000 });
    expect(next.code).toBe(0);
    expect(await entries(tmp)).toEqual([]);
  }, 90_000);
});
