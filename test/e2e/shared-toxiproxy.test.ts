/**
 * Issue 18, defect 11: runs that share one Toxiproxy (a team's, by URL) leave each other's live
 * faults alone; a run killed with SIGKILL is swept by the next; and a run whose fault someone else
 * removes says so and does not judge the windows that fault was meant for. The team's stack here:
 * a synthetic provider behind the Toxiproxy proxy `llm`, reached as a url target (in-process, on
 * 127.0.0.1); each aire run is a CLI child.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Toxiproxy } from "toxiproxy-node-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli, startCli } from "../helpers/cli.js";
import { provider, toxiproxy } from "../helpers/stack.js";

const faulted = (target: string, tp: string) => `apiVersion: aire/v1
name: slow-llm
target: { url: ${target}/v1, toxiproxy: { url: ${tp} } }
traffic:
  model: m
  arrival: { rate: 20/s }
  mix: [ { name: chat, maxTokens: 4 } ]
phases:
  - { name: calm, duration: 2s }
  - name: slow
    duration: 12s
    faults: [ { kind: latency, proxy: llm, latency: 300ms } ]
hypotheses:
  - { name: calm is fast, during: calm, expect: [ "ttft.p50 < 150ms" ] }
  - { name: the proxy slows it all along, during: slow, expect: [ "ttft.p50 > 250ms" ] }
`;

// The second run (below) must start and end inside the first run's slow phase: it takes 3-4 s on a
// quiet machine; a 6-s phase was too short once, while the hypervisor stole a third of the CPU.
const quiet = (target: string, tp: string) => `apiVersion: aire/v1
name: other-team-run
target: { url: ${target}/v1, toxiproxy: { url: ${tp} } }
traffic:
  model: m
  arrival: { rate: 5/s }
phases:
  - { name: only, duration: 1s }
`;

type Event = { type: string; fault?: string; live?: string[]; toxics?: string[]; proxies?: string[]; runId?: string };
const events = async (out: string): Promise<Event[]> => {
  const [run] = await readdir(out);
  return (await readFile(join(out, run!, "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
};
const summary = async (out: string) => {
  const [run] = await readdir(out);
  return JSON.parse(await readFile(join(out, run!, "summary.json"), "utf8"));
};
const untilFaultOn = (child: ReturnType<typeof startCli>["child"]) =>
  new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on("line", (line) => line.includes("fault on:") && resolve()));

let root: string;
let llm: Awaited<ReturnType<typeof provider>>;
let tp: Awaited<ReturnType<typeof toxiproxy>>;
let target: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aire-shared-toxiproxy-"));
  llm = await provider({ model: "m", ttftMs: 20, decodeTokensPerSec: 500 });
  tp = await toxiproxy();
  const proxy = await new Toxiproxy(tp.url).createProxy({ name: "llm", listen: "127.0.0.1:0", upstream: `127.0.0.1:${llm.port}` });
  target = `http://${proxy.listen}`;
  await writeFile(join(root, "faulted.yaml"), faulted(target, tp.url));
  await writeFile(join(root, "quiet.yaml"), quiet(target, tp.url));
});
afterAll(async () => {
  await tp?.close();
  await llm?.close();
  if (!process.env.KEEP) await rm(root, { recursive: true, force: true });
});

const toxicsOfLlm = async () => ((await (await fetch(`${tp.url}/proxies/llm/toxics`)).json()) as { name: string }[]).map((t) => t.name);
const proxyNames = async () => Object.keys((await (await fetch(`${tp.url}/proxies`)).json()) as object);

describe("one Toxiproxy, several runs", () => {
  test("a second run's start-up sweep leaves the first run's live fault in place, and the first run's verdict stands", async () => {
    const outA = join(root, "a");
    const a = startCli(["run", join(root, "faulted.yaml"), "--out", outA], { timeoutMs: 60_000 });
    await untilFaultOn(a.child);
    expect(await toxicsOfLlm()).toHaveLength(1);
    const b = await runCli(["run", join(root, "quiet.yaml"), "--out", join(root, "b")], { timeoutMs: 60_000 });
    expect(b.code).toBe(0);
    // B saw A as live and removed nothing; A's toxic is still there.
    const sweep = (await events(join(root, "b"))).find((e) => e.type === "sweep")!;
    expect(sweep.toxics).toEqual([]);
    expect(sweep.live).toHaveLength(1);
    expect(await toxicsOfLlm()).toHaveLength(1);
    const resultA = await a.done;
    expect(resultA.code).toBe(0);
    expect((await events(outA)).map((e) => e.type)).not.toContain("fault_lost");
    // Both runs cleaned up after themselves: no toxic, no lease.
    expect(await toxicsOfLlm()).toEqual([]);
    expect(await proxyNames()).toEqual(["llm"]);
  }, 60_000);

  test("a run's fault removed by someone else: an event, a warning, and the windows it was meant for are not judged", async () => {
    const out = join(root, "lost");
    const a = startCli(["run", join(root, "faulted.yaml"), "--out", out], { timeoutMs: 60_000 });
    await untilFaultOn(a.child);
    const [name] = await toxicsOfLlm();
    await fetch(`${tp.url}/proxies/llm/toxics/${name}`, { method: "DELETE" });
    const result = await a.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/warning: fault gone: .* was removed by someone else/);
    expect((await events(out)).filter((e) => e.type === "fault_lost").map((e) => e.fault)).toEqual([name]);
    const s = await summary(out);
    expect(s.hypotheses.map((h: { verdict: string }) => h.verdict)).toEqual(["PASS", "INCONCLUSIVE"]);
    expect(s.hypotheses[1].reason).toMatch(new RegExp(`fault ${name} was removed by someone else .* this window did not have the fault it was meant to have`));
  }, 60_000);

  test("a run killed with SIGKILL: its fault and lease stay until the next run sweeps them (same host: its PID is gone)", async () => {
    const c = startCli(["run", join(root, "faulted.yaml"), "--out", join(root, "c")], { timeoutMs: 60_000 });
    await untilFaultOn(c.child);
    c.child.kill("SIGKILL");
    await c.done;
    const runId = (await events(join(root, "c"))).find((e) => e.type === "run_start")!.runId!;
    expect(await toxicsOfLlm()).toHaveLength(1);
    expect((await proxyNames()).filter((n) => n.startsWith(`aire-lease-${runId}-`))).toHaveLength(1);
    const d = await runCli(["run", join(root, "quiet.yaml"), "--out", join(root, "d")], { timeoutMs: 60_000 });
    expect(d.code).toBe(0);
    const sweep = (await events(join(root, "d"))).find((e) => e.type === "sweep")!;
    expect(sweep.live).toEqual([]);
    expect(sweep.toxics).toEqual([expect.stringMatching(new RegExp(`^llm/aire-${runId}-slow-0-latency$`))]);
    expect(await toxicsOfLlm()).toEqual([]);
    expect(await proxyNames()).toEqual(["llm"]);
  }, 60_000);
});
