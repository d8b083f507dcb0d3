import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alive, runCli, startCli } from "../helpers/cli.js";

const SCENARIO = "scenarios/provider-latency.yaml";
let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));

async function onlyRunDir(parent: string): Promise<string> {
  const entries = await readdir(parent);
  expect(entries).toHaveLength(1);
  return join(parent, entries[0]!);
}

const readEvents = async (dir: string) => (await readFile(join(dir, "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { type: string; t: number; pid?: number; fault?: string });

describe("aire command line", () => {
  test("--version and --help", async () => {
    const version = await runCli(["--version"]);
    expect([version.code, version.stdout.trim()]).toEqual([0, "0.1.0"]);
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["run", "validate", "plan", "serve"]) expect(help.stdout).toContain(command);
    const runHelp = await runCli(["run", "--help"]);
    expect(runHelp.stdout).toMatch(/--time-scale/);
  });

  test("validate: a good scenario exits 0; three mistakes are all printed with line numbers, exit 2, no stack trace", async () => {
    expect((await runCli(["validate", SCENARIO])).code).toBe(0);
    const bad = await runCli(["validate", "test/fixtures/scenarios/three-mistakes.yaml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/three-mistakes\.yaml:8:36 {2}traffic\.arrival\.rate {2}rate 10 needs a unit/);
    expect(bad.stderr).toMatch(/three-mistakes\.yaml:13:42 {2}phases\[0\]\.faults\[0\]\.latncy {2}unknown key "latncy"; did you mean "latency"\?/);
    expect(bad.stderr).toMatch(/three-mistakes\.yaml:15:43 {2}hypotheses\[0\]\.expect\[0\] {2}"800" is not a duration/);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });

  test("run on an invalid scenario exits 2 before starting anything", async () => {
    const dir = await mkdtemp(join(out, "invalid-"));
    const result = await runCli(["run", "test/fixtures/scenarios/three-mistakes.yaml", "--out", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/4 problems/);
    expect(await readdir(dir)).toEqual([]);
  });

  test("plan prints the timeline and resolved values without sending traffic", async () => {
    const result = await runCli(["plan", SCENARIO, "--time-scale", "0.5"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/5s → 15s\s+slow-primary/);
    expect(result.stdout).toMatch(/fault: \+800ms ±50ms latency on downstream traffic of provider "primary"/);
    const scheduled = await runCli(["plan", "test/fixtures/scenarios/schedules.yaml"]);
    expect(scheduled.stdout).toContain('fault: +300ms latency on downstream traffic of provider "primary" [from +500ms, for 1s, every 1.5s]');
    expect(scheduled.stdout).toContain("[ramping fraction from 0.3 in 3 steps]");
  });

  test("run: the quick-start scenario passes, prints per-phase figures and verdicts, writes summary.json and events.jsonl", async () => {
    const dir = await mkdtemp(join(out, "pass-"));
    const result = await runCli(["run", SCENARIO, "--time-scale", "0.4", "--set", "traffic.arrival.rate=40/s", "--out", dir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/phase\s+duration\s+requests\s+avail/);
    expect(result.stdout).toMatch(/PASS\s+users barely notice a slow primary/);
    // Not a terminal: plain progress lines every 5 s, with the fault that is on.
    expect(result.stdout).toMatch(/^progress \[baseline 1\/3\] \S+ of 16s · [\d.]+ req\/s · ttft p95 \S+ · errors \S+ · faults: none$/m);
    expect(result.stdout).toMatch(/^progress \[slow-primary 2\/3\] .* faults: \+800ms ±50ms latency on downstream traffic of provider "primary"$/m);
    const run = await onlyRunDir(dir);
    const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ schemaVersion: 2, status: "completed", verdict: "PASS", exitCode: 0 });
    const fault = summary.phases.find((p: { name: string }) => p.name === "slow-primary");
    expect(fault.providers.secondary).toBeGreaterThan(fault.requests * 0.8);
    expect(summary.traffic.scheduled).toBe(640);
    const events = await readEvents(run);
    const types = events.map((e) => e.type);
    for (const t of ["run_start", "phase_start", "fault_apply", "fault_applied", "fault_revert", "fault_reverted", "run_end"]) expect(types).toContain(t);
    expect(types.indexOf("fault_apply")).toBeLessThan(types.indexOf("fault_applied"));
    const samples = (await readFile(join(run, "samples.jsonl"), "utf8")).trim().split("\n");
    expect(samples).toHaveLength(summary.traffic.completed);
    for (const e of events.filter((e) => e.type === "component_ready")) expect(alive(e.pid!)).toBe(false);
  }, 60_000);

  test("run: the same scenario with the gateway's fallback off FAILS its hypothesis and exits 1", async () => {
    const dir = await mkdtemp(join(out, "fail-"));
    const result = await runCli(["run", SCENARIO, "--time-scale", "0.4", "--set", "traffic.arrival.rate=40/s", "--out", dir, "--set", "target.reference.gateway.fallback=false"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+users barely notice a slow primary/);
    const summary = JSON.parse(await readFile(join(await onlyRunDir(dir), "summary.json"), "utf8"));
    expect(summary.verdict).toBe("FAIL");
    const failed = summary.hypotheses.find((h: { name: string }) => h.name === "users barely notice a slow primary");
    expect(failed.assertions.find((a: { assertion: string }) => a.assertion === "availability >= 97%")).toMatchObject({ verdict: "FAIL" });
    expect(summary.scenario.set).toEqual(["traffic.arrival.rate=40/s", "target.reference.gateway.fallback=false"]);
  }, 60_000);

  test.each([
    ["SIGINT", "embedded"],
    ["SIGINT", "url"],
    ["SIGTERM", "embedded"],
  ] as const)("%s during the fault phase (%s Toxiproxy): exit 130 within 5 s, every fault reverted first, nothing left, no child left", async (signal, backend) => {
    const dir = await mkdtemp(join(out, "sigint-"));
    const external = backend === "url" ? startCli(["serve", "toxiproxy", "--port", "0"], { timeoutMs: 90_000 }) : undefined;
    try {
      const url = external ? /listening on (\S+)/.exec(await new Promise<string>((resolve) => createInterface({ input: external.child.stdout! }).once("line", resolve)))![1]! : undefined;
      // Time scale 0.4: the fault phase starts 4 s after the traffic, not 10 s.
      const args = ["run", SCENARIO, "--time-scale", "0.4", "--out", dir, ...(url ? ["--set", "target.reference.toxiproxy.backend=url", "--set", `target.reference.toxiproxy.url=${url}`] : [])];
      const { child, done } = startCli(args, { timeoutMs: 90_000 });
      const lines = createInterface({ input: child.stdout! });
      await new Promise<void>((resolve) => lines.on("line", (line) => line.includes("fault on:") && resolve()));
      await new Promise((r) => setTimeout(r, Math.random() * 3000));
      const signalled = performance.now();
      child.kill(signal);
      const result = await done;
      expect(result.code).toBe(130);
      expect(performance.now() - signalled).toBeLessThan(5000);
      const run = await onlyRunDir(dir);
      const events = await readEvents(run);
      const types = events.map((e) => e.type);
      const reverted = types.indexOf("fault_reverted");
      expect(types.indexOf("interrupt")).toBeGreaterThan(types.indexOf("fault_applied"));
      expect(reverted).toBeGreaterThan(types.indexOf("interrupt"));
      expect(reverted).toBeLessThan(types.indexOf("component_stop"));
      // Every fault applied was reverted.
      const applied = events.filter((e) => e.type === "fault_applied").map((e) => e.fault);
      expect(events.filter((e) => e.type === "fault_reverted").map((e) => e.fault).sort()).toEqual(applied.sort());
      const pids = events.filter((e) => e.type === "component_ready" && e.pid).map((e) => e.pid!);
      // 2 provider fronts, their 2 pod processes each, the gateway, and the embedded Toxiproxy if it is ours.
      expect(pids).toHaveLength(backend === "embedded" ? 8 : 7);
      for (const pid of pids) expect(alive(pid)).toBe(false);
      const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
      expect(summary).toMatchObject({ status: "interrupted", verdict: "INTERRUPTED", exitCode: 130 });
      if (url) {
        // Nothing of the run is left on a Toxiproxy that outlives it.
        expect(await (await fetch(`${url}/proxies`)).json()).toEqual({});
      }
    } finally {
      external?.child.kill("SIGTERM");
      await external?.done;
    }
  }, 60_000);

  test("SIGKILL mid-phase: the children stop by themselves, and aire report turns what was written into a report", async () => {
    const dir = await mkdtemp(join(out, "sigkill-"));
    const { child, done } = startCli(["run", SCENARIO, "--time-scale", "0.4", "--set", "traffic.arrival.rate=40/s", "--out", dir], { timeoutMs: 90_000 });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on("line", (line) => line.includes("fault on:") && resolve()));
    await new Promise((r) => setTimeout(r, 1000));
    child.kill("SIGKILL");
    await done;
    const run = await onlyRunDir(dir);
    const events = await readEvents(run);
    expect(events.map((e) => e.type)).not.toContain("run_end");
    // The children watch their IPC channel to the parent and exit when it closes.
    const pids = events.filter((e) => e.type === "component_ready" && e.pid).map((e) => e.pid!);
    const deadline = performance.now() + 10_000;
    while (pids.some(alive) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).toEqual([]);

    const report = await runCli(["report", run]);
    expect(report.stderr).toBe("");
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(/verdict: INCOMPLETE — the run stopped before it finished/);
    const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ status: "incomplete", verdict: "INCOMPLETE", exitCode: 3 });
    const written = (await readFile(join(run, "samples.jsonl"), "utf8")).split("\n").filter((l) => l.startsWith("{") && l.endsWith("}")).length;
    expect(summary.total.requests).toBe(written);
    expect(summary.phases[0].requests).toBeGreaterThan(100);
    expect(summary.timeline.faults).toHaveLength(1);
    expect(summary.timeline.faults[0].end).toBeNull();
    for (const file of ["report.html", "junit.xml", "summary.md"]) expect((await readFile(join(run, file), "utf8")).length).toBeGreaterThan(100);
  }, 60_000);

  test("an uncaught error inside the harness during the fault phase: rollback first, teardown, exit 3", async () => {
    const dir = await mkdtemp(join(out, "crash-"));
    // The crash timer starts with the process; at time scale 0.6 the fault phase is 6 s to 18 s after
    // traffic starts, so 13 s (2-6 s of start-up, then 7-11 s of traffic) lands in it.
    const result = await runCli(["run", SCENARIO, "--time-scale", "0.6", "--out", dir], { timeoutMs: 90_000, env: { AIRE_SELFTEST_CRASH_MS: "13000" } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/internal error: self-test crash/);
    const run = await onlyRunDir(dir);
    const events = await readEvents(run);
    const types = events.map((e) => e.type);
    expect(types).toContain("fault_applied");
    expect(types.indexOf("fault_reverted")).toBeGreaterThan(types.indexOf("error"));
    expect(types.indexOf("fault_reverted")).toBeLessThan(types.indexOf("component_stop"));
    for (const e of events.filter((e) => e.type === "component_ready")) expect(alive(e.pid!)).toBe(false);
    expect(JSON.parse(await readFile(join(run, "summary.json"), "utf8"))).toMatchObject({ status: "error", exitCode: 3 });
  }, 60_000);

  test("serve provider: prints its URL first, serves, stops on SIGTERM", async () => {
    const { child, done } = startCli(["serve", "provider", "--port", "0"], { timeoutMs: 20_000 });
    const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
    const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill("SIGTERM");
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(10_000);
  });

  test("serve gateway: a YAML config routes to a provider; a bad config is refused with each mistake at its line", async () => {
    const provider = startCli(["serve", "provider", "--port", "0"], { timeoutMs: 20_000 });
    const providerUrl = /listening on (\S+)/.exec(await new Promise<string>((resolve) => createInterface({ input: provider.child.stdout! }).once("line", resolve)))![1]!;
    const dir = await mkdtemp(join(tmpdir(), "aire-e2e-gateway-"));
    try {
      const config = join(dir, "gateway.yaml");
      await writeFile(config, `providers:\n  - { name: primary, url: "${providerUrl}", model: sim-model }\nroutes:\n  chat: [primary]\nprofile: resilient\npolicy:\n  timeouts: { ttft: 1s }\n`);
      const gateway = startCli(["serve", "gateway", "--config", config], { timeoutMs: 20_000 });
      const url = /listening on (\S+)/.exec(await new Promise<string>((resolve) => createInterface({ input: gateway.child.stdout! }).once("line", resolve)))![1]!;
      const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Reply with exactly: e2e-9" }], stream: false }) });
      expect([res.status, res.headers.get("x-aire-provider")]).toEqual([200, "primary"]);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe("e2e-9");
      gateway.child.kill("SIGTERM");
      expect((await gateway.done).code).toBe(0);
    } finally {
      provider.child.kill("SIGTERM");
      await provider.done;
      await rm(dir, { recursive: true, force: true });
    }
    const bad = await runCli(["serve", "gateway", "--config", "test/fixtures/gateway/bad.yaml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("test/fixtures/gateway/bad.yaml:7:21  policy.timeouts.ttft  duration 400 needs a unit");
    expect(bad.stderr).toContain("test/fixtures/gateway/bad.yaml:8:27  policy.breaker.failureRate  expected a fraction");
    expect(bad.stderr).toContain(`test/fixtures/gateway/bad.yaml:9:3  policy.retrys  unknown key "retrys"; did you mean "retries"?`);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test("serve refuses a non-loopback host and an unknown component", async () => {
    const host = await runCli(["serve", "gateway", "--host", "0.0.0.0"]);
    expect(host.code).toBe(2);
    expect(host.stderr).toMatch(/binds only to loopback/);
    const unknown = await runCli(["serve", "database"]);
    expect(unknown.code).toBe(2);
  });
});

describe("abort conditions", () => {
  test("error_rate > 50% for 2s stops a run gone wrong: rolled back, exit 4, ABORTED in every report", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-e2e-abort-"));
    try {
      const started = performance.now();
      const result = await runCli(["run", "test/fixtures/scenarios/abort.yaml", "--out", dir]);
      // 2 s of baseline, then the outage: aborted within a few seconds of it, not after its 20 s.
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(4);
      expect(result.stdout).toMatch(/abort: error_rate > 50% for 2s \(observed \d+(\.\d+)?% over \d+ requests\)/);
      expect(result.stdout).toMatch(/verdict: ABORTED — aborted: error_rate > 50% for 2s/);
      const run = await onlyRunDir(dir);
      const events = await readEvents(run);
      const types = events.map((e) => e.type);
      const abort = types.indexOf("abort");
      expect(abort).toBeGreaterThan(types.indexOf("fault_applied"));
      expect(types.indexOf("fault_reverted")).toBeGreaterThan(abort);
      expect(types.indexOf("fault_reverted")).toBeLessThan(types.indexOf("component_stop"));
      const tripped = events[abort]!.t - events.find((e) => e.type === "fault_applied")!.t;
      expect(tripped).toBeLessThan(4000);
      const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
      expect(summary).toMatchObject({ status: "aborted", verdict: "ABORTED", exitCode: 4 });
      expect(summary.events.map((e: { type: string }) => e.type)).toContain("abort");
      expect(await readFile(join(run, "junit.xml"), "utf8")).toMatch(/<error message="ABORTED: aborted: error_rate &gt; 50% for 2s/);
      // Rebuilt later, the report says the same.
      const rebuilt = await runCli(["report", run]);
      expect(rebuilt.code).toBe(4);
      for (const pid of events.filter((e) => e.type === "component_ready" && e.pid).map((e) => e.pid!)) expect(alive(pid)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("provider faults in a run", () => {
  test("an error burst and a pod kill on the primary are applied through the admin API, absorbed by fallback, and rolled back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-e2e-provider-"));
    try {
      const result = await runCli(["run", "test/fixtures/scenarios/provider-faults.yaml", "--out", dir]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const run = await onlyRunDir(dir);
      const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
      const burst = summary.phases.find((p: { name: string }) => p.name === "burst");
      expect(burst.providers.secondary).toBeGreaterThan(burst.requests * 0.9);
      // The first failures fall over (2 attempts); then the breaker opens and the secondary is asked first.
      expect(burst.attemptsPerRequest).toBeGreaterThan(1);
      expect(burst.attemptsPerRequest).toBeLessThan(1.3);
      // The breaker stays open 500 ms after the burst, then its probes find the primary healthy:
      // every recovery request due after that is served by the primary.
      const recovery = summary.phases.find((p: { name: string }) => p.name === "recovery");
      const samples = (await readFile(join(run, "samples.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { phase: string; scheduledAt: number; provider: string });
      const settled = samples.filter((x) => x.phase === "recovery" && x.scheduledAt >= recovery.startMs + 800);
      expect(settled.length).toBeGreaterThan(20);
      expect(settled.every((x) => x.provider === "primary")).toBe(true);
      const events = await readEvents(run);
      expect(events.filter((e) => e.type === "pod_kill")).toHaveLength(1);
      expect(events.filter((e) => e.type === "fault_reverted")).toHaveLength(2);
      // Per workload, with their answer checks passing; priced; a 1-second time series of it all.
      const priced = samples as unknown as { workload: string; ok: boolean; cost: number; promptTokens: number; outputTokens: number; errorClass?: string }[];
      expect(Object.keys(summary.total.workloads).sort()).toEqual(["chat", "extract"]);
      expect(summary.total.workloads.extract.requests).toBeGreaterThan(15);
      expect(priced.filter((x) => x.errorClass === "quality")).toEqual([]);
      const expected = priced.reduce((sum, x) => sum + (x.promptTokens * 2 + x.outputTokens * 8) / 1e6, 0);
      expect(summary.total.cost.total).toBeCloseTo(expected, 6);
      expect(summary.total.cost.unpriced).toBe(0);
      expect(summary.timeSeries).toHaveLength(7);
      expect(summary.timeSeries.reduce((n: number, s: { requests: number }) => n + s.requests, 0)).toBe(summary.total.requests);
      expect(result.stdout).toMatch(/workload\s+requests\s+avail/);
      expect(result.stdout).toMatch(/cost: \$0\.\d+ \(\$0\.\d+ per 1k requests\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("tenants", () => {
  test("each tenant has its own key: the noisy one's flood meets its RPM limit, the quiet one is served; keys stay out of the results", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-e2e-tenants-"));
    try {
      const result = await runCli(["run", "test/fixtures/scenarios/tenants.yaml", "--out", dir]);
      expect(result.stderr).toBe("");
      const run = await onlyRunDir(dir);
      const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
      const { quiet, noisy } = summary.total.tenants;
      expect(quiet.requests).toBe(40);
      expect(quiet.availability).toBe(1);
      expect(noisy.requests).toBe(160);
      // 60 requests of burst, then one a second: ~64 served, the rest refused with 429 at the gateway.
      expect(noisy.errors.http_429).toBeGreaterThan(80);
      expect(noisy.ok).toBeGreaterThanOrEqual(60);
      expect(noisy.ok).toBeLessThan(75);
      expect(summary.phases[0].tenants.noisy.requests).toBe(160);
      // A tenant's own mix: the shared arrival never draws the weight-0 workload, the noisy tenant sends nothing else.
      expect([summary.total.workloads.chat.requests, summary.total.workloads.batch.requests]).toEqual([40, 160]);
      expect(result.stdout).toMatch(/tenant\s+requests\s+avail/);
      expect(summary.hypotheses[0].verdict).toBe("PASS");
      expect(summary.hypotheses[0].assertions[0].samples).toBe(40);
      expect(result.code).toBe(0);
      // The keys were made for the run and never written where results are kept.
      for (const file of await readdir(run)) expect(await readFile(join(run, file), "utf8")).not.toContain("sk-aire-");
      // The components' configs are kept for reference, with their secrets redacted.
      expect(JSON.parse(await readFile(join(run, "stack-provider-only.json"), "utf8")).adminToken).toBe("(redacted)");
      expect(JSON.parse(await readFile(join(run, "stack-gateway.json"), "utf8")).auth.keys.map((k: { key: string; name: string }) => [k.name, k.key])).toEqual([
        ["quiet", "(redacted)"],
        ["noisy", "(redacted)"],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("fault schedules in a run", () => {
  test("at/for/every windows and ramp steps are applied and reverted on time, each in the ledger", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-e2e-schedule-"));
    try {
      const result = await runCli(["run", "test/fixtures/scenarios/schedules.yaml", "--out", dir]);
      expect(result.code).toBe(0);
      const events = (await readFile(join(await onlyRunDir(dir), "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { type: string; t: number; fault?: string; params?: { fraction?: number } });
      const phaseStart = events.find((e) => e.type === "phase_start")!.t;
      const at = (type: string, match: RegExp) => events.filter((e) => e.type === type && match.test(e.fault ?? "")).map((e) => e.t - phaseStart);
      const latencyOn = at("fault_applied", /latency-r\d$/);
      const latencyOff = at("fault_reverted", /latency-r\d$/);
      expect(latencyOn).toHaveLength(2);
      expect(latencyOff).toHaveLength(2);
      [500, 2000].forEach((t, i) => expect(Math.abs(latencyOn[i]! - t)).toBeLessThan(150));
      [1500, 3000].forEach((t, i) => expect(Math.abs(latencyOff[i]! - t)).toBeLessThan(150));
      const ramp = events.filter((e) => e.type === "fault_apply" && /error-burst-s\d$/.test(e.fault ?? ""));
      expect(ramp.map((e) => Math.round(e.params!.fraction! * 100))).toEqual([30, 60, 90]);
      expect(events.filter((e) => e.type === "fault_reverted")).toHaveLength(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
