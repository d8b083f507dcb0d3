/**
 * `aire run --workers N`: the same requests as one process, from N generator processes; a worker
 * that dies is an infrastructure error after full rollback; an interrupt stops the workers too.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alive, runCli, startCli } from "../helpers/cli.js";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { provider } from "../helpers/stack.js";
import { TrafficWorkers } from "../../harness/traffic/workers.js";

let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-workers-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));

const urlScenario = (url: string) => `apiVersion: aire/v1
name: split
seed: 21
target: { url: ${url}/v1 }
traffic:
  model: m
  arrival: { type: poisson, rate: 80/s }
  mix:
    - { name: chat, weight: 3, promptTokens: { dist: lognormal, median: 60, p99: 300 }, maxTokens: 5 }
    - { name: long, weight: 1, stream: false, promptTokens: 400, maxTokens: 3 }
  client: { timeout: 5s }
phases:
  - { name: one, duration: 1500ms }
  - { name: two, duration: 1500ms }
hypotheses:
  - { name: served, during: two, expect: [ "availability >= 90%" ] }
`;

type Event = { type: string; workers?: { pid: number; offsetMs: number; rttMs: number; segment?: string; scheduled?: number }[]; scheduled?: number };
const samplesOf = async (dir: string) =>
  (await readFile(join(dir, "samples.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: number; scheduledAt: number; phase: string; workload: string; promptTokens?: number; ok: boolean })
    .map((s) => [s.id, s.scheduledAt, s.phase, s.workload, s.promptTokens ?? null, s.ok])
    .sort((a, b) => (a[0] as number) - (b[0] as number));

describe("aire run --workers", () => {
  test("--workers 2 sends the same requests (ids, intended times, sizes) as --workers 1, from two processes that are gone after", async () => {
    await using upstream = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 2000 });
    const dir = await mkdtemp(join(out, "same-"));
    const file = join(dir, "split.yaml");
    await writeFile(file, urlScenario(upstream.url));
    const runs: string[] = [];
    for (const workers of ["1", "2"]) {
      const results = join(dir, `w${workers}`);
      const result = await runCli(["run", file, "--workers", workers, "--out", results], { timeoutMs: 60_000 });
      expect(result.stderr).toBe("");
      expect(result.code, result.stdout).toBe(0);
      runs.push(await onlyRunDir(results));
    }
    const [one, two] = await Promise.all(runs.map(samplesOf));
    expect(one!.length).toBeGreaterThan(180);
    expect(two).toEqual(one);
    const events = (await readEvents(runs[1]!)) as Event[];
    const start = events.find((e) => e.type === "traffic_start")!;
    const end = events.find((e) => e.type === "traffic_end")!;
    // Two processes, their clocks measured against the parent's (same machine: a round trip well under a millisecond or so).
    expect(start.workers).toHaveLength(2);
    for (const w of start.workers!) expect(w.rttMs).toBeLessThan(50);
    expect(end.workers!.map((w) => w.segment)).toEqual(["0/2", "1/2"]);
    expect(end.workers!.map((w) => w.scheduled! > 50)).toEqual([true, true]);
    expect(end.scheduled).toBe(one!.length);
    for (const w of start.workers!) expect(alive(w.pid)).toBe(false);
    // One process's run does not say it had workers.
    expect(((await readEvents(runs[0]!)) as Event[]).find((e) => e.type === "traffic_start")!.workers).toBeUndefined();
  });

  test.each(["a worker killed", "SIGINT"] as const)("%s during the fault: every fault rolled back, the run stopped within 5 s, no process left", async (how) => {
    const dir = await mkdtemp(join(out, "stop-"));
    const { child, done } = startCli(["run", "scenarios/provider-latency.yaml", "--time-scale", "0.4", "--workers", "2", "--out", dir], { timeoutMs: 90_000 });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on("line", (line) => line.includes("fault on:") && resolve()));
    const run = await onlyRunDir(dir);
    const workers = ((await readEvents(run)) as Event[]).find((e) => e.type === "traffic_start")!.workers!.map((w) => w.pid);
    expect(workers).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 500));
    const stopped = performance.now();
    if (how === "SIGINT") child.kill("SIGINT");
    else process.kill(workers[1]!, "SIGKILL");
    const result = await done;
    expect(performance.now() - stopped).toBeLessThan(5000);
    const events = await readEvents(run);
    const types = events.map((e) => e.type);
    const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
    if (how === "SIGINT") {
      expect(result.code).toBe(130);
      expect(summary.status).toBe("interrupted");
    } else {
      expect(result.code).toBe(3);
      expect(summary).toMatchObject({ status: "error", exitCode: 3 });
      expect(result.stdout).toMatch(/traffic worker 2 of 2 \(pid \d+\) exited \(SIGKILL\)/);
    }
    // The fault was reverted before the stack went down.
    const applied = events.filter((e) => e.type === "fault_applied").map((e) => e.fault);
    expect(applied.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "fault_reverted").map((e) => e.fault).sort()).toEqual(applied.sort());
    expect(types.indexOf("fault_reverted")).toBeLessThan(types.indexOf("component_stop"));
    // What the workers measured before the end is kept.
    expect(summary.total.requests).toBeGreaterThan(20);
    const pids = [...events.filter((e) => e.type === "component_ready" && e.pid).map((e) => e.pid!), ...workers];
    expect(pids.length).toBeGreaterThanOrEqual(10);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  test("stopped before the start (an interrupt right after the start-up): the workers are told at once and report; nothing waits for the schedule", async () => {
    await using upstream = await provider({ model: "m", ttftMs: 5, decodeTokensPerSec: 2000 });
    const traffic = { model: "m", arrival: { type: "constant" as const, rate: 50 }, mix: [{ name: "chat", weight: 1, stream: true, promptTokens: 20, maxTokens: 3 }], client: { timeout: 5000, connections: 8, warmConnections: 0, retries: 0 } };
    const pool = await TrafficWorkers.start(2, { baseUrl: upstream.url, traffic, seed: 1, phases: [{ name: "long", duration: 60_000 }], maxRequests: 100_000, drainMs: 1000 });
    try {
      const stop = new AbortController();
      stop.abort("SIGINT");
      const began = performance.now();
      const result = await pool.run({ start: performance.now() + 50, signal: stop.signal, onSample: () => {}, onFailure: (err) => expect.fail(err.message), reportTimeoutMs: 70_000 });
      expect(performance.now() - began).toBeLessThan(3000);
      expect(result.scheduled).toBeLessThan(5);
      expect(result.workers).toHaveLength(2);
    } finally {
      await pool.close();
    }
    for (const c of pool.clocks) expect(alive(c.pid)).toBe(false);
  });
});
