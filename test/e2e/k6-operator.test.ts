/**
 * `aire run --load k6-operator` against a double of a Kubernetes API server with k6-operator
 * installed (test/helpers/k6-operator-api.ts: its runner pods are real local k6 processes). The
 * team's stack: a synthetic provider behind the Toxiproxy proxy `llm`, reached by URL; the fault
 * is a latency toxic on it. Checked: the dry run creates nothing and shows every object (never a
 * key); an operator without `spec.paused` and a missing one are refused before anything is made;
 * a run's start sequence (the TestRun paused, the operator's starter resuming the runners, aire
 * never resuming them itself), its verdicts from the merged runners' files, and its cleanup after
 * a completed run, SIGINT and SIGKILL (the next run sweeps).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Toxiproxy } from "toxiproxy-node-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startOperatorDouble, type OperatorDoubleOptions } from "../helpers/k6-operator-api.js";
import { alive, onPath, runCli, startCli } from "../helpers/cli.js";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { provider, toxiproxy } from "../helpers/stack.js";

const k6 = onPath("k6");
if (!k6) console.log("aire run --load k6-operator runs skipped: k6 is not on PATH (../shared/tools/bin has it; .ci/run puts it on PATH); the dry run and the refusals still run");

const KINDS = ["Secret", "PersistentVolumeClaim", "ConfigMap", "Pod", "TestRun"];
const scenario = (target: string, tp: string, phases: string) => `apiVersion: aire/v1
name: slow-llm-cluster
target: { url: ${target}/v1, toxiproxy: { url: ${tp} }, apiKeyEnv: TEAM_KEY, kubernetes: { kubeconfig: kubeconfig } }
traffic:
  model: m
  arrival: { rate: 20/s }
  mix: [ { name: chat, maxTokens: 4 } ]
phases:
${phases}
hypotheses:
  - { name: calm is fast, during: calm, expect: [ "e2e.p50 < 150ms" ] }
  - { name: the proxy slows it, during: slow, expect: [ "e2e.p50 > 250ms" ] }
`;
const PHASES = `  - { name: calm, duration: 3s }
  - name: slow
    duration: 4s
    faults: [ { kind: latency, proxy: llm, latency: 300ms } ]
  - { name: after, duration: 2s }`;
const LONG = `  - { name: calm, duration: 3s }
  - name: slow
    duration: 30s
    faults: [ { kind: latency, proxy: llm, latency: 300ms } ]`;
const KEY = "sk-team-4f1c9d2b7e";

let root: string;
let llm: Awaited<ReturnType<typeof provider>>;
let tp: Awaited<ReturnType<typeof toxiproxy>>;
let target: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aire-e2e-k6-operator-"));
  llm = await provider({ model: "m", ttftMs: 20, decodeTokensPerSec: 500 });
  tp = await toxiproxy();
  const proxy = await new Toxiproxy(tp.url).createProxy({ name: "llm", listen: "127.0.0.1:0", upstream: `127.0.0.1:${llm.port}` });
  target = `http://${proxy.listen}`;
});
afterAll(async () => {
  await tp?.close();
  await llm?.close();
  await rm(root, { recursive: true, force: true });
});

/** A directory with the scenario and a kubeconfig for a fresh double. */
async function cluster(phases = PHASES, extra: Partial<OperatorDoubleOptions> = {}) {
  const dir = await mkdtemp(join(root, "case-"));
  const api = await startOperatorDouble({ namespace: "loadtest", token: "t0k3n", images: { "grafana/k6:0.48.0": "k6" }, ...extra });
  await api.writeKubeconfig(join(dir, "kubeconfig"));
  await writeFile(join(dir, "s.yaml"), scenario(target, tp.url, phases));
  const args = (...more: string[]) => ["run", join(dir, "s.yaml"), "--load", "k6-operator", "--runners", "2", "--namespace", "loadtest", "--out", join(dir, "out"), ...more];
  return { dir, api, args };
}
const toxics = async () => ((await (await fetch(`${tp.url}/proxies/llm/toxics`)).json()) as unknown[]).length;
const env = { TEAM_KEY: KEY };

describe("aire run --load k6-operator: the dry run and the refusals", () => {
  test("the dry run prints every object and the faults, has the API server check each, and creates nothing; the key is never printed", async () => {
    const { api, args } = await cluster();
    await using _ = api;
    const result = await runCli(args(), { env, timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    for (const kind of KINDS) expect(result.stdout).toMatch(new RegExp(`kind: ${kind}\\n`));
    expect(result.stdout).toContain('paused: "true"');
    expect(result.stdout).toContain("TEAM_KEY: <from $TEAM_KEY; never printed>");
    expect(result.stdout).not.toContain(KEY);
    expect(result.stdout).toContain("the CRD testruns.k6.io has spec.paused");
    expect(result.stdout.match(/accepted by the API server's dry run/g)).toHaveLength(5);
    expect(result.stdout).toMatch(/3s → 7s +slow[\s\S]*fault: \+300ms latency/);
    const posts = api.calls.filter((c) => c.method !== "GET");
    expect(posts).toHaveLength(5);
    for (const c of posts) expect(c.query.dryRun).toBe("All");
    expect(api.objects.size).toBe(0);
    expect(api.runnerPids()).toEqual([]);
    expect(await toxics()).toBe(0);
  }, 60_000);

  test.each([
    ["an operator whose TestRun has no spec.paused", { withoutPaused: true }, /has no spec\.paused: it cannot hold its runners until all are ready/],
    ["no k6-operator", { noCrd: true }, /k6-operator is not installed on http:\/\/127\.0\.0\.1:\d+: there is no CustomResourceDefinition testruns\.k6\.io/],
  ] as const)("%s: refused with --yes before any object is created (exit 2)", async (_name, extra, message) => {
    const { api, args } = await cluster(PHASES, extra);
    await using _ = api;
    const result = await runCli(args("--yes"), { env, timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toMatch(message);
    expect(api.calls.filter((c) => c.method === "POST")).toEqual([]);
    expect(await toxics()).toBe(0);
  }, 60_000);

  test("a scenario whose target is aire's own stack is refused: a cluster cannot reach this machine's loopback", async () => {
    const result = await runCli(["run", "scenarios/provider-latency.yaml", "--load", "k6-operator"], { timeoutMs: 30_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--load k6-operator sends from a cluster, which cannot reach the stack aire starts on this machine; give the scenario a target\.url/);
  }, 30_000);
});

describe.skipIf(!k6)("aire run --load k6-operator --yes (runner pods: real k6 v0.48)", () => {
  test("the operator's starter resumes the paused runners, the fault runs on the run's timeline, the merged runners' files are scored; every object deleted", async () => {
    const { dir, api, args } = await cluster();
    await using _ = api;
    const result = await runCli(args("--yes"), { env, timeoutMs: 120_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/PASS +calm is fast/);
    expect(result.stdout).toMatch(/PASS +the proxy slows it/);
    expect(result.stdout).not.toContain(KEY);
    // The objects as created: the TestRun holds its runners; the key reached them through the Secret.
    const created = api.calls.filter((c) => c.method === "POST").map((c) => c.body as { kind: string; spec?: { paused?: string; parallelism?: number }; stringData?: Record<string, string> });
    expect(created.map((o) => o.kind)).toEqual(KINDS);
    expect(created[4]!.spec).toMatchObject({ paused: "true", parallelism: 2 });
    expect(created[0]!.stringData).toEqual({ TEAM_KEY: KEY });
    // The start: the runners were resumed by the operator's starter; aire only asked their status.
    const proxied = api.calls.filter((c) => c.path.includes("/services/"));
    expect(proxied.length).toBeGreaterThan(0);
    expect(proxied.filter((c) => c.method !== "GET")).toEqual([]);
    const whats = api.events.map((e) => e.what);
    expect(whats.indexOf("starter resumed the runners")).toBeGreaterThan(whats.indexOf("stage created"));
    const run = await onlyRunDir(join(dir, "out"));
    type E = { type: string; t?: number; t0?: number; load?: { tool: string }; runners?: { pod: string; requests: number; firstRequestMs: number; startSeenMs: number }[] };
    const events = (await readEvents(run)) as E[];
    expect(events.find((e) => e.type === "traffic_start")!.load!.tool).toBe("k6-operator");
    const runners = events.find((e) => e.type === "traffic_end")!.runners!;
    expect(runners).toHaveLength(2);
    for (const r of runners) {
      expect(r.requests).toBeGreaterThan(50);
      // Both seen started within a poll or two of each other, and sending within a second of the start.
      expect(Math.abs(r.startSeenMs)).toBeLessThan(500);
      expect(Math.abs(r.firstRequestMs)).toBeLessThan(1000);
    }
    expect(runners[0]!.requests + runners[1]!.requests).toBeGreaterThan(150);
    expect((await readdir(join(run, "k6"))).filter((f) => f.endsWith(".json.gz"))).toHaveLength(2);
    // Cleanup: every object gone, the runners' processes ended, the toxic removed.
    for (const kind of KINDS) expect(api.names(kind)).toEqual([]);
    for (const pid of api.runnerPids()) expect(alive(pid)).toBe(false);
    expect(await toxics()).toBe(0);
    const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
    expect(summary.total.requests).toBe(runners[0]!.requests + runners[1]!.requests);
  }, 120_000);

  test("SIGINT during the fault: the fault rolled back, the runners told to stop, what they sent kept, every object deleted (exit 130)", async () => {
    const { dir, api, args } = await cluster(LONG);
    await using _ = api;
    const { child, done } = startCli(args("--yes"), { env, timeoutMs: 120_000 });
    await new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on("line", (line) => line.includes("fault on:") && resolve()));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await toxics()).toBe(1);
    child.kill("SIGINT");
    const result = await done;
    expect(result.code).toBe(130);
    expect(await toxics()).toBe(0);
    const stops = api.calls.filter((c) => c.method === "PATCH" && c.path.endsWith("/proxy/v1/status"));
    expect(stops).toHaveLength(2);
    for (const s of stops) expect(s.body).toMatchObject({ data: { attributes: { stopped: true } } });
    const summary = JSON.parse(await readFile(join(await onlyRunDir(join(dir, "out")), "summary.json"), "utf8"));
    expect(summary.total.requests, result.stdout).toBeGreaterThan(40);
    for (const kind of KINDS) expect(api.names(kind)).toEqual([]);
    for (const pid of api.runnerPids()) expect(alive(pid)).toBe(false);
  }, 120_000);

  test("aire SIGKILLed mid-run leaves its objects; the next run from this machine deletes them (and the runners they hold) first", async () => {
    const { dir, api, args } = await cluster(LONG);
    await using _ = api;
    const { child, done } = startCli(args("--yes"), { env, timeoutMs: 120_000 });
    await new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on("line", (line) => line.startsWith("phase calm") && resolve()));
    child.kill("SIGKILL");
    await done;
    // Aire's objects (the operator's runner pods are the TestRun's).
    const left = [...api.objects.values()].filter((o) => o.metadata.labels?.["app.kubernetes.io/managed-by"] === "aire");
    expect(left).toHaveLength(5);
    const killedRunners = api.runnerPids();
    expect(killedRunners.filter(alive)).toHaveLength(2);
    // The next run: a short one, in the same namespace.
    await writeFile(join(dir, "s.yaml"), scenario(target, tp.url, PHASES));
    const next = await runCli(args("--yes"), { env, timeoutMs: 120_000 });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/k6-operator: deleted 5 object\(s\) left by a killed run of this machine: TestRun\/aire-slow-llm-cluster-[\w-]+, Pod\/[\w-]+-results, ConfigMap\/[\w-]+, Secret\/[\w-]+-keys, PersistentVolumeClaim\/[\w-]+-results/);
    for (const kind of KINDS) expect(api.names(kind)).toEqual([]);
    for (const pid of killedRunners) expect(alive(pid)).toBe(false);
    // The toxic the killed run left is swept by the next run's Toxiproxy sweep.
    expect(await toxics()).toBe(0);
  }, 150_000);
});
