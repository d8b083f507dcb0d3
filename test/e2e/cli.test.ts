import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { firstLine, runCli, startCli } from "../helpers/cli.js";

const SCENARIO = "scenarios/provider-latency.yaml";
let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));


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

  test("a reader that goes away (| head): the run goes on, rolls its fault back, writes every file, says so once on stderr", async () => {
    const dir = await mkdtemp(join(out, "epipe-"));
    const { child, done } = startCli(["run", SCENARIO, "--time-scale", "0.2", "--set", "traffic.arrival.rate=10/s", "--out", dir], { timeoutMs: 60_000 });
    expect(await firstLine(child)).toMatch(/^stack ready/);
    child.stdout!.destroy(); // the pipe's read end closed, as head closes it after its lines
    const result = await done;
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.stderr.match(/standard output was closed \(EPIPE\)/g)).toHaveLength(1);
    expect([0, 1]).toContain(result.code); // its verdict, not an infrastructure error (3)
    const run = await onlyRunDir(dir);
    const events = await readEvents(run);
    expect(events.filter((e) => e.type === "fault_reverted")).toHaveLength(1);
    expect(JSON.parse(await readFile(join(run, "summary.json"), "utf8"))).toMatchObject({ status: "completed", exitCode: result.code });
    for (const file of ["report.html", "summary.md", "junit.xml"]) expect((await readFile(join(run, file), "utf8")).length).toBeGreaterThan(100);
  }, 60_000);


  test("serve provider: prints its URL first, serves, stops on SIGTERM", async () => {
    const { child, done } = startCli(["serve", "provider", "--port", "0"], { timeoutMs: 20_000 });
    const first = await firstLine(child);
    const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill("SIGTERM");
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(10_000);
  });

  test("serve toxiproxy --config: populated at start from a JSON array of proxies, like toxiproxy-server -config", async () => {
    const config = join(out, "populate.json");
    await writeFile(config, JSON.stringify([{ name: "upstream-a", listen: "127.0.0.1:0", upstream: "127.0.0.1:9", enabled: true }]));
    const { child, done } = startCli(["serve", "toxiproxy", "--port", "0", "--config", config], { timeoutMs: 20_000 });
    const url = /^listening on (\S+)$/.exec(await firstLine(child))![1]!;
    expect(Object.keys((await (await fetch(`${url}/proxies`)).json()) as object)).toEqual(["upstream-a"]);
    child.kill("SIGTERM");
    expect((await done).code).toBe(0);
  });

  test("serve gateway: a YAML config routes to a provider; a bad config is refused with each mistake at its line", async () => {
    const provider = startCli(["serve", "provider", "--port", "0"], { timeoutMs: 20_000 });
    const providerUrl = /listening on (\S+)/.exec(await firstLine(provider.child))![1]!;
    const dir = await mkdtemp(join(tmpdir(), "aire-e2e-gateway-"));
    try {
      const config = join(dir, "gateway.yaml");
      await writeFile(config, `providers:\n  - { name: primary, url: "${providerUrl}", model: sim-model }\nroutes:\n  chat: [primary]\nprofile: resilient\npolicy:\n  timeouts: { ttft: 1s }\n`);
      const gateway = startCli(["serve", "gateway", "--config", config], { timeoutMs: 20_000 });
      const url = /listening on (\S+)/.exec(await firstLine(gateway.child))![1]!;
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
    // A component that exits before its first line fails the wait for it at once (its test's finally then cleans up).
    await expect(firstLine(startCli(["serve", "gateway", "--host", "0.0.0.0"]).child)).rejects.toThrow(/exited \(code 2\) before printing a line/);
    const unknown = await runCli(["serve", "database"]);
    expect(unknown.code).toBe(2);
  });
});
