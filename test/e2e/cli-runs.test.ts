/** aire run end to end on fixture scenarios: abort conditions, provider faults, tenants, fault schedules. */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { alive, runCli, verdictLines } from "../helpers/cli.js";
import { onQuietMachine } from "../helpers/machine.js";

let out: string;
beforeAll(async () => void (out = await mkdtemp(join(tmpdir(), "aire-e2e-"))));
afterAll(async () => rm(out, { recursive: true, force: true }));


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
  // Its PASS includes ttft.p95 < 500ms over a 503 burst (observed 206–277 ms, upper bound 300–396 ms
  // on a quiet machine): CI once saw exit 1 while another process took 0.7 of a core. Measured
  // again when the machine was busy, as the other latency verdicts are; a FAIL on a quiet machine
  // fails at once.
  test("an error burst and a pod kill on the primary are applied through the admin API, absorbed by fallback, and rolled back", async (ctx) => {
    await onQuietMachine(
      ctx,
      async () => {
        const dir = await mkdtemp(join(tmpdir(), "aire-e2e-provider-"));
        try {
          const result = await runCli(["run", "test/fixtures/scenarios/provider-faults.yaml", "--out", dir]);
          expect(result.stderr).toBe("");
          expect(result.code, verdictLines(result.stdout)).toBe(0);
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
          // What the gateway and the providers said about themselves (telemetry.jsonl, every second):
          // the primary's breaker opened in the burst and not before; the primary counted the errors
          // it was told to inject.
          const telemetry = summary.telemetry;
          expect([...telemetry.components].sort()).toEqual(["gateway", "provider-primary", "provider-secondary"]);
          expect(telemetry.failures).toBeLessThanOrEqual(telemetry.scrapes / 10);
          const at = (phase: string, component: string) => telemetry.phases[phase][component] as Record<string, number>;
          expect(at("baseline", "gateway")['aire_gateway_breaker_state{provider="primary"}']).toBe(0);
          expect(at("burst", "gateway")['aire_gateway_breaker_transitions_total{from="closed",provider="primary",to="open"}']).toBeGreaterThanOrEqual(1);
          expect(at("burst", "gateway")['aire_gateway_breaker_state{provider="primary"}']).toBeGreaterThanOrEqual(1);
          expect(at("burst", "provider-primary")['aire_provider_injected_errors_total{status="503"}']).toBeGreaterThan(0);
          expect(at("baseline", "provider-primary")['aire_provider_injected_errors_total{status="503"}'] ?? 0).toBe(0);
          const scrapes = (await readFile(join(run, "telemetry.jsonl"), "utf8")).trim().split("\n");
          expect(scrapes.length).toBeGreaterThanOrEqual(3 * 6); // three components, about once a second over the 7 s
          expect(await readFile(join(run, "report.html"), "utf8")).toContain('id="chart-breakers"');
          expect(await readFile(join(run, "summary.md"), "utf8")).toMatch(/\| burst \| breaker at worst: primary (open|half-open)/);
          expect(result.stdout).toMatch(/^the stack reported \(its own \/metrics\):\n  baseline: breaker at worst: primary closed, secondary closed;.*\n  burst: breaker at worst: primary (open|half-open)/m);
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
      },
      { attempts: 2 },
    );
  }, 120_000);
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
