/**
 * `aire run --load k6`, the stops (stock k6 at 10 requests/s: light enough to run beside other
 * files): SIGINT mid-fault stops the runners and rolls back (exit 130); a runner that dies is
 * an infrastructure error after full rollback (exit 3); a SIGKILLed run takes its runners with it.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alive, onPath, startCli } from "../helpers/cli.js";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { provider } from "../helpers/stack.js";

const k6 = onPath("k6");
if (!k6) console.log("aire run --load k6 tests skipped: k6 is not on PATH (../shared/tools/bin has it; .ci/run puts it on PATH)");

let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-k6-stops-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));

type LoadEvent = { type: string; fault?: string; pid?: number; load?: { runners: { pid: number }[] } };

describe.skipIf(!k6)("aire run --load k6", () => {
  // Stock k6 here (streams read whole, no TTFT): what is tested is the stop, not the measurement.
  test.each(["SIGINT", "a runner killed"] as const)("%s during the fault (stock k6): the runners stopped, every fault rolled back, nothing left", async (how) => {
    const dir = await mkdtemp(join(out, "stop-"));
    const { child, done } = startCli(["run", "scenarios/provider-latency.yaml", "--time-scale", "0.4", "--load", "k6", "--runners", "2", "--out", dir], { timeoutMs: 120_000 });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on("line", (line) => line.includes("fault on:") && resolve()));
    const run = await onlyRunDir(dir);
    const runners = ((await readEvents(run)) as LoadEvent[]).find((e) => e.type === "traffic_start")!.load!.runners.map((r) => r.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const stopped = performance.now();
    if (how === "SIGINT") child.kill("SIGINT");
    else process.kill(runners[0]!, "SIGKILL");
    const result = await done;
    expect(performance.now() - stopped).toBeLessThan(8000);
    expect(result.code).toBe(how === "SIGINT" ? 130 : 3);
    if (how !== "SIGINT") expect(result.stdout).toMatch(/k6 runner 1 of 2 \(pid \d+\) exited \(SIGKILL\)/);
    const events = (await readEvents(run)) as LoadEvent[];
    const types = events.map((e) => e.type);
    const applied = events.filter((e) => e.type === "fault_applied").map((e) => e.fault);
    expect(applied.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "fault_reverted").map((e) => e.fault).sort()).toEqual(applied.sort());
    expect(types.indexOf("fault_reverted")).toBeLessThan(types.indexOf("component_stop"));
    // What the runners measured before the stop is kept and scored.
    const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
    expect(summary.total.requests).toBeGreaterThan(20);
    const pids = [...events.filter((e) => e.type === "component_ready" && e.pid).map((e) => e.pid!), ...runners];
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 60_000);

  test("aire SIGKILLed: its k6 runners stop with it, even when the target they load outlives the run (a team's gateway)", async () => {
    // A target in this process: it stays up, so nothing makes k6 write to its (closed) stderr and
    // die of the broken pipe; only the parent-death signal stops the runners.
    await using upstream = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 2000 });
    const dir = await mkdtemp(join(out, "kill-"));
    const file = join(await mkdtemp(join(out, "scenario-")), "team.yaml");
    await writeFile(file, `apiVersion: aire/v1
name: team
target: { url: ${upstream.url}/v1 }
traffic:
  model: m
  arrival: { rate: 20/s }
  mix: [ { name: chat, promptTokens: 40, maxTokens: 4 } ]
phases: [ { name: long, duration: 60s } ]
`);
    const { child, done } = startCli(["run", file, "--load", "k6", "--runners", "2", "--out", dir], { timeoutMs: 60_000 });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on("line", (line) => line.startsWith("phase long") && resolve()));
    const run = await onlyRunDir(dir);
    const runners = ((await readEvents(run)) as LoadEvent[]).find((e) => e.type === "traffic_start")!.load!.runners.map((r) => r.pid);
    await new Promise((r) => setTimeout(r, 1500));
    for (const pid of runners) expect(alive(pid)).toBe(true);
    child.kill("SIGKILL");
    await done;
    await new Promise((r) => setTimeout(r, 500));
    for (const pid of runners) expect(alive(pid)).toBe(false);
  }, 60_000);
});
