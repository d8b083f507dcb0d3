/**
 * PromQL probes against a real Prometheus (Debian's package, 2.42 here; .ci/run installs it):
 * instant and range queries read as the API answers them, a failed query is an unreadable probe;
 * and during the shipped provider-outage-failover (quick form) a PromQL probe over the gateway's
 * breaker, scraped by that Prometheus every second, sees it open, while a probe of a Prometheus
 * that is not there leaves its hypothesis INCONCLUSIVE, not FAIL. Skipped, saying why, without
 * the binary.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readProbe } from "../../harness/probes/read.js";
import { probeSchema } from "../../harness/probes/schema.js";
import { closedPort, ROOT, startCli } from "../helpers/cli.js";
import { prometheusMissing, startPrometheus, type StartedPrometheus } from "../helpers/prometheus.js";
import { onlyRunDir } from "../helpers/results.js";

if (prometheusMissing) console.log(`real Prometheus tests skipped: ${prometheusMissing}`);

let prom: StartedPrometheus;
let root: string;
beforeAll(async () => {
  if (prometheusMissing) return;
  root = await mkdtemp(join(tmpdir(), "aire-promql-"));
  prom = await startPrometheus({ scrapeInterval: "1s" });
}, 40_000);
afterAll(async () => {
  await prom?.[Symbol.asyncDispose]();
  if (root) await rm(root, { recursive: true, force: true });
});

const promProbe = (prometheus: Record<string, unknown>, extra: Record<string, unknown> = {}) => probeSchema.parse({ name: "q", prometheus: { url: prom.url, ...prometheus }, ...extra });

describe.skipIf(prometheusMissing !== undefined)("PromQL probes against a real Prometheus", () => {
  test("scalars and vectors with their labels; a range as one reading per step at its own time; a bad query is unreadable", async () => {
    const read = async (p: ReturnType<typeof promProbe>, range?: { startMs: number; endMs: number }) => readProbe(p, { at: 0, moment: "during", ...(range ? { range: { ...range, toEventsClock: (ms: number) => ms - range.startMs } } : {}) });
    expect((await read(promProbe({ query: "1 + 1" })))[0]).toMatchObject({ series: [{ labels: {}, value: 2 }] });
    expect((await read(promProbe({ query: 'label_replace(vector(3), "provider", "primary", "", "")' })))[0]).toMatchObject({ series: [{ labels: { provider: "primary" }, value: 3 }] });
    const bad = (await read(promProbe({ query: "sum(" })))[0]!;
    expect(bad.series).toBeUndefined();
    expect(bad.error).toMatch(/^the query failed: bad_data: .*parse error/);
    const now = Date.now();
    const points = await read(promProbe({ query: "vector(1)", range: { step: "1s" } }, { mode: "after" }), { startMs: now - 5000, endMs: now });
    expect(points.length).toBeGreaterThanOrEqual(5);
    expect(points.every((p) => p.series?.[0]?.value === 1 && p.moment === "during")).toBe(true);
    // Each point at its own time on the events' clock: a second apart, within the window.
    expect(points[1]!.t - points[0]!.t).toBe(1000);
    expect(points[0]!.t).toBeGreaterThanOrEqual(0);
    expect(points.at(-1)!.t).toBeLessThanOrEqual(5000);
  });

  test("provider-outage-failover: a PromQL probe over the gateway's breaker sees it open; a Prometheus that is not there is INCONCLUSIVE, not FAIL", async () => {
    const nowhere = await closedPort();
    const file = join(root, "outage-promql.yaml");
    await writeFile(file, `extends: ${join(ROOT, "scenarios/provider-outage-failover.yaml")}
name: outage-promql
# What is tested is the probe, not this machine: a loaded CI runner's stall (259 ms seen in a
# provider) must not turn these windows INCONCLUSIVE, so the guard is wider than its default here.
limits: { stackLag: 1s }
probes:
  - name: breaker
    interval: 500ms
    prometheus: { url: "${prom.url}", query: 'max(aire_gateway_breaker_state{provider="primary"})' }
  - name: breaker-run
    mode: after
    prometheus: { url: "${prom.url}", query: 'max(aire_gateway_breaker_state{provider="primary"})', range: { step: 1s } }
  - name: nowhere
    timeout: 500ms
    interval: 1s
    prometheus: { url: "http://127.0.0.1:${nowhere}", query: 'max(aire_gateway_breaker_state)' }
hypotheses:
  - name: Prometheus sees the breaker open
    during: outage
    expect: [ "probe.breaker >= 2 within 6s of fault start", "max(probe.breaker-run) == 2" ]
  - name: and closed before the outage
    during: baseline
    expect: [ "max(probe.breaker-run) == 0" ]
  - name: a Prometheus that is not there
    during: outage
    expect: [ "probe.nowhere == 0" ]
`);
    const out = join(root, "out");
    // A baseline of 8 s (4 s in the quick form): Prometheus reads the gateway's target file within
    // 1 s and scrapes it each second, but on a loaded runner its first scrape came after a 4 s
    // baseline ended (no readings in that window: INCONCLUSIVE, CI 2026-12-04).
    const { child, done } = startCli(["run", file, "--quick", "--set", "phases[0].duration=20s", "--out", out], { timeoutMs: 120_000 });
    // Once the stack is up, the gateway is a scrape target of the real Prometheus.
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^stack ready: gateway http:\/\/(127\.0\.0\.1:\d+)/.exec(line);
      if (m) void prom.scrape([m[1]!]);
    });
    const result = await done;
    expect(result.stderr).toBe("");
    const summary = JSON.parse(await readFile(join(await onlyRunDir(out), "summary.json"), "utf8"));
    const byName = Object.fromEntries(summary.hypotheses.map((h: { name: string }) => [h.name, h]));
    const seen = byName["Prometheus sees the breaker open"];
    expect(seen.verdict, JSON.stringify(seen)).toBe("PASS");
    expect(seen.assertions[0].observed, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(byName["and closed before the outage"].verdict, JSON.stringify(byName["and closed before the outage"])).toBe("PASS");
    const nowhereResult = byName["a Prometheus that is not there"];
    expect(nowhereResult.verdict).toBe("INCONCLUSIVE");
    expect(nowhereResult.reason).toMatch(/^probe nowhere could not be read at all: .*ECONNREFUSED/);
    // The INCONCLUSIVE is the whole run's verdict: nothing FAILed.
    expect(summary.verdict).toBe("INCONCLUSIVE");
    expect(result.code).toBe(1);
    // The gateway's series is in Prometheus with the labels it exported (stale now the gateway is gone: over the last minutes).
    const stored = await prom.query('max_over_time(aire_gateway_breaker_state{provider="primary"}[5m])');
    expect(stored).toMatchObject([{ metric: { provider: "primary", job: "aire" }, value: [expect.any(Number), "2"] }]);
  }, 150_000);
});
