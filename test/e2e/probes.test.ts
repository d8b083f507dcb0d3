/**
 * Probes in a whole run (issue 21) against the reference stack, no Prometheus needed: the
 * gateway's breaker read from its own /metrics detects a provider outage (its time to detect, and
 * a claim it misses FAILs); a readiness check holds before and after; a `during` probe is read
 * only inside its window; a probe nobody answers makes its hypothesis INCONCLUSIVE with the
 * reason, never FAIL; and `aire report` rebuilds the same verdicts from probes.jsonl.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ProbeReading } from "../../harness/metrics/probe-reading.js";
import { closedPort, runCli } from "../helpers/cli.js";
import { onlyRunDir } from "../helpers/results.js";

let root: string;
let free: number;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aire-probes-"));
  free = await closedPort();
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const scenario = (port: number) => `apiVersion: aire/v1
name: probed
seed: 5
target:
  reference:
    providers:
      - { name: primary, pods: 1, slotsPerPod: 16, ttft: 30ms, decodeTokensPerSec: 400 }
      - { name: secondary, pods: 1, slotsPerPod: 16, ttft: 30ms, decodeTokensPerSec: 400 }
traffic:
  arrival: { rate: 30/s }
  mix: [ { name: chat, maxTokens: 8 } ]
phases:
  - { name: calm, duration: 3s }
  - name: outage
    duration: 4s
    faults: [ { kind: provider-down, proxy: primary } ]
  - { name: after, duration: 3s }
probes:
  - name: breaker
    interval: 250ms
    metrics: { component: gateway, series: 'aire_gateway_breaker_state' }
  - name: breaker-in-fault
    mode: during
    during: fault
    interval: 250ms
    metrics: { component: gateway, series: 'aire_gateway_breaker_state{provider="primary"}' }
  - name: ready
    mode: both
    http: { component: gateway, path: /readyz, json: { path: $.status, op: "==", value: ok } }
  - name: nobody
    mode: both
    timeout: 500ms
    http: { url: "http://127.0.0.1:${port}/ready" }
hypotheses:
  - name: the gateway notices
    during: outage
    expect: [ "probe.breaker{provider=primary} >= 2 within 3s of fault start", "max(probe.breaker-in-fault) == 2" ]
  - name: an impossible detection time
    during: outage
    expect: [ "time_to_detect(probe.breaker{provider=primary} >= 2) < 1ms" ]
  - name: the breaker stays closed when calm
    during: calm
    expect: [ "probe.breaker{provider=primary} == 0", "max(probe.breaker{provider=secondary}) == 0" ]
  - name: ready before and after
    during: run
    expect: [ "probe.ready == 1" ]
  - name: a probe nobody answers
    during: run
    expect: [ "probe.nobody == 1" ]
`;

describe("probes in a run", () => {
  test("detection from the gateway's own metrics, steady state before and after, a during window, and an unheard probe INCONCLUSIVE", async () => {
    const file = join(root, "probed.yaml");
    await writeFile(file, scenario(free));
    const out = join(root, "out");
    const run = await runCli(["run", file, "--out", out], { timeoutMs: 90_000 });
    // A FAIL (the impossible claim) and an INCONCLUSIVE: exit 1.
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const dir = await onlyRunDir(out);
    const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8"));
    const byName = Object.fromEntries(summary.hypotheses.map((h: { name: string }) => [h.name, h]));

    const notices = byName["the gateway notices"];
    expect(notices.verdict).toBe("PASS");
    // The breaker opens after the first failed connects: well inside the phase, after its start.
    expect(notices.assertions[0].observed).toBeGreaterThan(0);
    expect(notices.assertions[0].observed).toBeLessThan(3000);
    expect(byName["an impossible detection time"]).toMatchObject({ verdict: "FAIL" });
    expect(byName["an impossible detection time"].assertions[0].observed).toBe(notices.assertions[0].observed);
    expect(byName["the breaker stays closed when calm"].verdict).toBe("PASS");
    expect(byName["the breaker stays closed when calm"].assertions[0].samples).toBeGreaterThanOrEqual(8);
    expect(byName["ready before and after"]).toMatchObject({ verdict: "PASS", assertions: [{ samples: 2 }] });
    const nobody = byName["a probe nobody answers"];
    expect(nobody.verdict).toBe("INCONCLUSIVE");
    expect(nobody.reason).toMatch(/^probe nobody could not be read at all: .*ECONNREFUSED/);

    // probes.jsonl: every reading as taken; the during probe only inside the fault's window.
    const readings = (await readFile(join(dir, "probes.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as ProbeReading);
    expect(readings.filter((r) => r.probe === "ready").map((r) => r.moment)).toEqual(["before", "after"]);
    const fault = summary.timeline.faults[0];
    const inFault = summary.probes.find((p: { name: string }) => p.name === "breaker-in-fault");
    // 4 s of fault read every 250 ms: about 16 readings, none outside it (the whole run would give about 40).
    expect(inFault.readings).toBeGreaterThanOrEqual(8);
    expect(inFault.readings).toBeLessThanOrEqual(18);
    expect(fault.end - fault.start).toBeGreaterThan(3500);
    expect(summary.probes.find((p: { name: string }) => p.name === "nobody")).toMatchObject({ readings: 2, unreadable: 2 });
    expect(run.stdout).toMatch(/probe\.nobody \(http, both: GET http:\/\/127\.0\.0\.1:\d+\/ready\): 2 readings, no value; could not be read 2 of 2 times/);

    // Every report lists what each probe said.
    expect(await readFile(join(dir, "report.html"), "utf8")).toMatch(/<h3>Probes<\/h3>.*probe\.ready \(http, both: GET gateway \/readyz\): 2 readings, value 1/s);
    expect(await readFile(join(dir, "summary.md"), "utf8")).toMatch(/- probe\.breaker \(metrics, continuous: aire_gateway_breaker_state of gateway\): \d+ readings, values 0–2/);
    // The same verdicts from the files alone.
    const report = await runCli(["report", dir]);
    expect(report.code).toBe(1);
    const again = JSON.parse(await readFile(join(dir, "summary.json"), "utf8"));
    expect(again.hypotheses.map((h: { verdict: string; assertions: { observed: number | null }[] }) => [h.verdict, h.assertions.map((x) => x.observed)])).toEqual(summary.hypotheses.map((h: { verdict: string; assertions: { observed: number | null }[] }) => [h.verdict, h.assertions.map((x) => x.observed)]));
  }, 120_000);
});
