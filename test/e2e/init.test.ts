/**
 * `aire init` (issue 23), tried as a new user would: against the bundled stack and against a url
 * target (an `aire serve gateway` on loopback), the scenarios it writes validate, plan and run to a
 * verdict; the questions are answered through a pseudo-terminal (util-linux `script`, as a user's
 * terminal would drive them), and without one the flags are the answers.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLI, firstLine, ROOT, runCli, startCli } from "../helpers/cli.js";

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "aire-init-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/** A run of the written scenario, short: its phases scaled down, to a verdict (PASS or FAIL, exit 0 or 1) with a summary. */
async function runsToAVerdict(file: string, scale: string): Promise<string> {
  const out = await mkdtemp(join(dir, "out-"));
  const result = await runCli(["run", file, "--time-scale", scale, "--out", out], { timeoutMs: 90_000 });
  expect(result.stderr).toBe("");
  expect([0, 1]).toContain(result.code);
  const [run] = await readdir(out);
  const summary = JSON.parse(await readFile(join(out, run!, "summary.json"), "utf8")) as { verdict: string; total: { requests: number } };
  expect(["PASS", "FAIL", "INCONCLUSIVE"]).toContain(summary.verdict);
  expect(summary.total.requests).toBeGreaterThan(0);
  return summary.verdict;
}

describe("aire init", () => {
  test("with flags (no terminal): a reference-stack scenario that validates, plans and runs to a verdict; an existing file is kept", async () => {
    const file = join(dir, "payments gateway.yaml");
    const init = await runCli(["init", file, "--incidents", "slow-provider", "--ttft-p95", "800ms", "--rate", "20/s"]);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`wrote ${file}: the bundled reference stack, slow-provider`);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*scenario\.schema\.json$/m);
    expect(text).toContain("name: payments-gateway");
    expect(text).toContain('"ttft.p95 < 800ms"');
    expect(text).toContain("{ kind: latency, proxy: primary, latency: 800ms, jitter: 50ms }");
    // The editor line points at the real schema file.
    const schema = /\$schema=(\S+)/.exec(text)![1]!;
    expect(existsSync(join(dir, schema))).toBe(true);
    expect((await runCli(["validate", file])).code).toBe(0);
    const plan = await runCli(["plan", file]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/slow-provider/);
    expect(plan.stdout).not.toMatch(/! cannot PASS/);
    await runsToAVerdict(file, "0.04");
    // Not overwritten without --force; a bad answer is named.
    const again = await runCli(["init", file, "--yes"]);
    expect([again.code, again.stderr]).toEqual([2, `aire: ${file} exists: choose another file, or --force to overwrite it\n`]);
    const bad = await runCli(["init", join(dir, "bad.yaml"), "--rate", "20"]);
    expect([bad.code, bad.stderr]).toEqual([2, "aire: --rate 20: write it like 10/s\n"]);
    const wrongIncident = await runCli(["init", join(dir, "bad.yaml"), "--target", "url", "--url", "http://127.0.0.1:9/v1", "--incidents", "pod-loss"]);
    expect(wrongIncident.code).toBe(2);
    expect(wrongIncident.stderr).toContain('incident "pod-loss" needs a Toxiproxy in front of your providers (--toxiproxy-url) with a url target');
    expect(existsSync(join(dir, "bad.yaml"))).toBe(false);
  }, 120_000);

  test("a url target (an aire serve gateway on loopback): the scenario validates, plans and runs to a verdict", async () => {
    const provider = startCli(["serve", "provider", "--port", "0"], { timeoutMs: 90_000 });
    const providerUrl = /listening on (\S+)/.exec(await firstLine(provider.child))![1]!;
    const config = join(dir, "gateway.yaml");
    await writeFile(config, `providers:\n  - { name: primary, url: "${providerUrl}", model: sim-model }\nroutes:\n  team-chat: [primary]\nprofile: resilient\n`);
    const gateway = startCli(["serve", "gateway", "--config", config], { timeoutMs: 90_000 });
    try {
      const gatewayUrl = /listening on (\S+)/.exec(await firstLine(gateway.child))![1]!;
      const file = join(dir, "team.yaml");
      const init = await runCli(["init", file, "--target", "url", "--url", `${gatewayUrl}/v1`, "--model", "team-chat", "--rate", "20/s", "--yes"]);
      expect(init.stderr).toBe("");
      expect(init.code).toBe(0);
      const text = readFileSync(file, "utf8");
      expect(text).toContain(`url: ${gatewayUrl}/v1`);
      expect(text).toContain("model: team-chat");
      expect(text).not.toMatch(/^allow:/m);
      expect((await runCli(["validate", file])).code).toBe(0);
      expect((await runCli(["plan", file])).code).toBe(0);
      await runsToAVerdict(file, "0.05");
    } finally {
      gateway.child.kill("SIGTERM");
      provider.child.kill("SIGTERM");
      await Promise.all([gateway.done, provider.done]);
    }
  }, 120_000);

  test.skipIf(!hasScript)("on a terminal: the questions, answered with keys through a pseudo-terminal, write the scenario", async () => {
    const file = join(dir, "asked.yaml");
    // util-linux script gives the command a pseudo-terminal and passes what it reads on stdin as typed keys.
    const child = spawn("script", ["-qfec", `${process.execPath} ${CLI} init ${file}`, "/dev/null"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, TERM: "xterm" } });
    let screen = "";
    child.stdout!.on("data", (d: Buffer) => (screen += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    /** Waits for a question on the screen (after what was already answered), then types. */
    let seen = 0;
    const answer = async (question: string, keys: string) => {
      const deadline = performance.now() + 20_000;
      while (screen.indexOf(question, seen) < 0) {
        if (performance.now() > deadline) throw new Error(`no question "${question}" on the screen:\n${screen.slice(-600)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      seen = screen.indexOf(question, seen) + question.length;
      child.stdin!.write(keys);
    };
    try {
      await answer("What do you want to test?", "\r"); // the first choice: the reference stack
      await answer("Time to first token p95 below", "700ms\r");
      await answer("Availability at least", "\r"); // the default, 99%
      await answer("Error rate below", "\r");
      // The checkbox: down to the second incident (outage), choose it too; the defaults stay chosen.
      await answer("Which incidents to rehearse?", "\x1b[B ");
      await answer("outage", "\r");
      await answer("requests arriving per second", "15/s\r");
      await answer("Share of requests streamed", "\r");
      await answer("Prompt size, tokens", "\r");
      await answer("max_tokens", "64\r");
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(timer);
      child.kill("SIGKILL");
    }
    expect(screen).toContain(`wrote ${file}`);
    const text = readFileSync(file, "utf8");
    expect(text).toContain('"ttft.p95 < 700ms"');
    expect(text).toContain("rate: 15/s");
    expect(text).toContain("maxTokens: 64");
    // The incident phases, in the catalogue's order: the three defaults and the outage chosen with space.
    expect([...text.matchAll(/^ {2}- name: ([a-z-]+) {3}#/gm)].map((m) => m[1])).toEqual(["slow-provider", "outage", "rate-limit-storm", "pod-loss"]);
    expect((await runCli(["validate", file])).code).toBe(0);
  }, 90_000);
});
