import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadScenarioFile, parseScenario } from "../../harness/scenario/load.js";
import { minimalScenario } from "../helpers/scenarios.js";

const scenarioFile = fileURLToPath(new URL("../../scenarios/provider-latency.yaml", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));

const minimal = minimalScenario;

describe("loading scenarios", () => {
  test("the quick-start scenario loads with units resolved and defaults filled", async () => {
    const result = await loadScenarioFile(scenarioFile);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const s = result.value.scenario;
    expect(s.phases.map((p) => [p.name, p.duration])).toEqual([["baseline", 10_000], ["slow-primary", 20_000], ["recovery", 10_000]]);
    expect(s.phases[1]!.faults[0]).toEqual({ kind: "latency", proxy: "primary", latency: 800, jitter: 50, stream: "downstream", toxicity: 1 });
    expect(s.traffic.arrival).toEqual({ type: "constant", rate: 10 });
    expect(s.target.reference!.gateway.timeouts?.ttft).toBe(400);
    expect(s.hypotheses[1]!.expect[0]).toMatchObject({ measure: { metric: "ttft", stat: "p95" }, threshold: { kind: "value", value: 750 } });
  });

  test("defaults: a minimal scenario gets every documented default", () => {
    const result = parseScenario(minimal, "tiny.yaml");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const s = result.value.scenario;
    expect(s.seed).toBe(1);
    expect(s.target.reference!.gateway.profile).toBe("resilient");
    expect(s.target.reference!.providers[0]).toMatchObject({ model: "sim-model", ttft: 80, decodeTokensPerSec: 50 });
    expect(s.traffic.mix).toEqual([{ name: "chat", kind: "chat", weight: 1, stream: true, promptTokens: 200, maxTokens: 64 }]);
    expect(s.traffic.client.timeout).toBe(60_000);
    expect(s.limits).toEqual({ maxRequests: 1_000_000, drain: 30_000, maxDuration: 7_200_000, scheduleLag: { p99: 100, max: 1_000 }, stackLag: 250 });
  });

  test("three mistakes give three issues, each with file, line, column and path", async () => {
    const result = await loadScenarioFile(fixture("three-mistakes.yaml"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const f = fixture("three-mistakes.yaml");
    expect(result.issues).toEqual([
      { where: `${f}:8:36`, path: "traffic.arrival.rate", message: "rate 10 needs a unit: write 10/s or 10/m" },
      // The missing required key is reported at the fault that lacks it.
      { where: `${f}:13:9`, path: "phases[0].faults[0].latency", message: 'missing required key "latency"' },
      { where: `${f}:13:42`, path: "phases[0].faults[0].latncy", message: 'unknown key "latncy"; did you mean "latency"?' },
      { where: `${f}:15:43`, path: "hypotheses[0].expect[0]", message: '"800" is not a duration: ttft.p95 thresholds need a unit, e.g. 800ms or 1.5s (at column 12)' },
    ]);
  });

  test("unknown enum values and fault kinds get suggestions", () => {
    const text = minimal.replace("- { name: primary }", "- { name: primary }\n    gateway: { profile: resilent }").replace("- { name: only, duration: 2s }", "- { name: only, duration: 2s, faults: [{ kind: latncy, proxy: primary }] }");
    const result = parseScenario(text, "s.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const messages = result.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toContain('target.reference.gateway.profile: "resilent" is not allowed here; did you mean "resilient"? (one of resilient, naive)');
    expect(messages.some((m) => /phases\[0\]\.faults\[0\]\.kind: unknown fault kind "latncy"/.test(m))).toBe(true);
  });

  test("cross references: faults name providers, hypotheses name phases", () => {
    const text = minimal
      .replace("- { name: only, duration: 2s }", "- { name: only, duration: 2s, faults: [{ kind: latency, proxy: primry, latency: 1s }] }")
      .concat("hypotheses:\n  - { name: h, during: nowhere, expect: ['availability >= 99%'] }\n");
    const result = parseScenario(text, "s.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.where, i.message])).toEqual([
      ["s.yaml:10:66", 'no provider named "primry" (providers: primary)'],
      ["s.yaml:12:24", 'no phase named "nowhere" (phases: only; or fault, run)'],
    ]);
  });

  test("tenants: names are unique, someone sends traffic.arrival, filters name real tenants and workloads", () => {
    const text = minimal
      .replace("  arrival: { rate: 5/s }", "  arrival: { rate: 5/s }\n  tenants:\n    - { name: a, arrival: { rate: 1/s } }\n    - { name: a, arrival: { type: closed, vus: 2 } }")
      .concat("hypotheses:\n  - { name: h, during: only, expect: ['availability{tenant=b} >= 99%', 'ttft.p95{workload=rag} < 1s'] }\n");
    const result = parseScenario(text, "t.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "traffic.tenants: every tenant has an arrival of its own, so nobody would send traffic.arrival: leave at least one tenant without one",
      'traffic.tenants[1].name: tenant "a" is defined twice',
      "traffic.tenants[1].arrival.type: a tenant's own arrival must be open-loop (constant, poisson, gamma, ramp, steps or spike)",
      'hypotheses[0].expect[0]: no tenant named "b" (tenants: a)',
      'hypotheses[0].expect[1]: no workload named "rag" (workloads: chat)',
    ]);
  });

  test("a tenant's own mix: real workload names, its own arrival, something to draw; a weight-0 workload someone sends", () => {
    const text = minimal
      .replace("  arrival: { rate: 5/s }", "  arrival: { rate: 5/s }\n  mix:\n    - { name: chat }\n    - { name: big, weight: 0 }\n    - { name: lost, weight: 0 }\n  tenants:\n    - { name: a, mix: [ chat ] }\n    - { name: b, arrival: { rate: 1/s }, mix: [ big, rag ] }\n    - { name: c, arrival: { rate: 1/s }, mix: [ big ] }");
    const result = parseScenario(text, "t.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'traffic.mix[2].weight: workload "lost" has weight 0 and no tenant\'s own mix names it: it would never be sent',
      "traffic.tenants[0].mix: a tenant's own mix needs an arrival of its own (tenants without one share traffic.arrival and its mix)",
      'traffic.tenants[1].mix[1]: no workload named "rag" (workloads: chat, big, lost)',
    ]);
    const zero = parseScenario(minimal.replace("  arrival: { rate: 5/s }", "  arrival: { rate: 5/s }\n  mix: [ { name: chat, weight: 0 } ]"), "t.yaml");
    expect(zero.ok ? [] : zero.issues.map((i) => i.message)).toContain("the mix's weights add up to 0: traffic.arrival could draw no workload");
  });

  test("target.url: a non-loopback host only when allow names it (exact or *.domain); keys and faults that a team's gateway can take", () => {
    const external = (target: string, extra = "") =>
      parseScenario(minimal.replace("    providers:\n      - { name: primary }\n", "").replace("  reference:\n", target) + extra, "t.yaml");
    const messages = (r: ReturnType<typeof parseScenario>) => (r.ok ? [] : r.issues.map((i) => `${i.where.replace(/^t\.yaml:/, "")} ${i.path}: ${i.message}`));
    expect(messages(external("  url: https://llm.example.com/v1\n"))).toEqual([
      '4:8 target.url: https://llm.example.com/v1: llm.example.com is not loopback and not in allow: (refused before any traffic; add "llm.example.com" to allow: to send traffic there)',
    ]);
    expect(external("  url: https://llm.example.com/v1\n", "allow: [ llm.example.com ]\n").ok).toBe(true);
    expect(external("  url: https://LLM.staging.example.com/v1\n", "allow: [ '*.example.com' ]\n").ok).toBe(true);
    expect(external("  url: https://example.com.evil.net/v1\n", "allow: [ '*.example.com' ]\n").ok).toBe(false);
    expect(external("  url: http://127.0.0.1:8080/v1\n  apiKeyEnv: GW_KEY\n").ok).toBe(true);
    const faults = external(
      "  url: http://127.0.0.1:8080/v1\n",
      "  - name: bad\n    duration: 1s\n    faults:\n      - { kind: error-burst, provider: primary, status: 503 }\n      - { kind: latency, proxy: llm, latency: 1s }\n",
    );
    expect(messages(faults).map((m) => m.replace(/^\S+ /, ""))).toEqual([
      "phases[1].faults[0].provider: error-burst acts on the reference stack's synthetic providers (their admin API); with target.url use network faults on your Toxiproxy's proxies (proxy: <name>)",
      'phases[1].faults[1].proxy: latency needs target.toxiproxy.url: the Toxiproxy whose proxy "llm" sits in front of your provider',
    ]);
    const both = parseScenario(minimal.replace("  reference:\n", "  url: http://127.0.0.1:8080/v1\n  reference:\n"), "t.yaml");
    expect(messages(both).map((m) => m.replace(/^\S+ /, ""))).toEqual(["target: give target.reference (the bundled stack) or target.url (an OpenAI-compatible gateway), exactly one"]);
    const tenants = external("  url: http://127.0.0.1:8080/v1\n", "").ok;
    expect(tenants).toBe(true);
    const keyless = parseScenario(minimal.replace("    providers:\n      - { name: primary }\n", "").replace("  reference:\n", "  url: http://127.0.0.1:8080/v1\n").replace("  arrival: { rate: 5/s }", "  arrival: { rate: 5/s }\n  tenants: [ { name: a }, { name: b, apiKeyEnv: B_KEY } ]"), "t.yaml");
    expect(messages(keyless).map((m) => m.replace(/^\S+ /, ""))).toEqual(['traffic.tenants[0].apiKeyEnv: with target.url, tenant "a" needs apiKeyEnv: the environment variable holding its key']);
    // A team's own metrics endpoints: loopback or allowed, http(s), named once, names or globs kept.
    const metrics = (list: string, extra = "") => external(`  url: http://127.0.0.1:8080/v1\n  metrics:\n${list}`, extra);
    expect(metrics("    - { name: gw, url: http://127.0.0.1:9901/stats/prometheus, keep: [ envoy_cluster_upstream_rq_*, up ] }\n").ok).toBe(true);
    expect(messages(metrics("    - { name: gw, url: https://metrics.example.com/metrics, keep: [ up ] }\n    - { name: gw, url: ftp://127.0.0.1/m, keep: [ 'rate(x)' ] }\n")).map((m) => m.replace(/^\S+ /, ""))).toEqual([
      "target.metrics[1].keep[0]: a metric name, with * for any characters: envoy_cluster_upstream_rq_*",
    ]);
    expect(messages(metrics("    - { name: gw, url: https://metrics.example.com/metrics, keep: [ up ] }\n    - { name: gw, url: ftp://127.0.0.1/m, keep: [ up ] }\n")).map((m) => m.replace(/^\S+ /, ""))).toEqual([
      'target.metrics[0].url: https://metrics.example.com/metrics: metrics.example.com is not loopback and not in allow: (refused before any traffic; add "metrics.example.com" to allow: to send traffic there)',
      'target.metrics[1].name: metrics endpoint "gw" is named twice',
      "target.metrics[1].url: ftp://127.0.0.1/m: an http(s) URL, e.g. http://127.0.0.1:9901/stats/prometheus",
    ]);
    const onReference = parseScenario(minimal.replace("  reference:\n", "  metrics: [ { name: gw, url: http://127.0.0.1:1/metrics, keep: [ up ] } ]\n  reference:\n"), "t.yaml");
    expect(messages(onReference).map((m) => m.replace(/^\S+ /, ""))).toEqual(["target.metrics: metrics is for target.url; the reference stack makes its own keys and Toxiproxy, and its telemetry is scraped without it"]);
  });

  test("YAML syntax errors are positioned too", () => {
    const result = parseScenario("name: [unclosed\n", "bad.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.where).toMatch(/^bad\.yaml:\d+:\d+$/);
  });

  test("--set overrides values before validation and is named as the origin of its own mistakes", () => {
    const ok = parseScenario(minimal, "s.yaml", { set: ["traffic.arrival.rate=50/s", "target.reference.gateway.fallback=false", "phases[0].duration=3s"] });
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.value.scenario.traffic.arrival).toMatchObject({ rate: 50 });
      expect(ok.value.scenario.target.reference!.gateway.fallback).toBe(false);
      expect(ok.value.scenario.phases[0]!.duration).toBe(3000);
      expect(ok.value.source).toContain("fallback: false");
    }
    const bad = parseScenario(minimal, "s.yaml", { set: ["traffic.arrival.rate=50"] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues).toEqual([{ where: "--set traffic.arrival.rate=50", path: "traffic.arrival.rate", message: "rate 50 needs a unit: write 50/s or 50/m" }]);
  });

  test("--time-scale shrinks the timeline, not the system's latencies", () => {
    const result = parseScenario(minimal.replace("duration: 2s }", "duration: 2s, faults: [{ kind: latency, proxy: primary, latency: 800ms }] }"), "s.yaml", { timeScale: 0.25 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.scenario.phases[0]!.duration).toBe(500);
    expect(result.value.scenario.phases[0]!.faults[0]).toMatchObject({ latency: 800 });
    expect(parseScenario(minimal, "s.yaml", { timeScale: 0 }).ok).toBe(false);
  });

  test("a missing file is an issue, not an exception", async () => {
    const result = await loadScenarioFile("/nonexistent/scenario.yaml");
    expect(result).toEqual({ ok: false, issues: [{ where: "/nonexistent/scenario.yaml", path: "(file)", message: "no such file" }] });
  });

  test("--quick applies the scenario's quick: block; the command line's --set and --time-scale win; without one it is an error", () => {
    const withQuick = `${minimal}quick: { timeScale: 0.5, set: [ "traffic.arrival.rate=40/s", "seed=3" ] }\n`;
    const quick = parseScenario(withQuick, "q.yaml", { quick: true });
    if (!quick.ok) throw new Error(quick.issues.map((i) => i.message).join("; "));
    expect(quick.value.scenario.phases[0]!.duration).toBe(1000);
    expect(quick.value.scenario.traffic.arrival).toMatchObject({ rate: 40 });
    expect(quick.value.scenario.seed).toBe(3);
    expect(quick.value.options).toMatchObject({ timeScale: 0.5, set: ["traffic.arrival.rate=40/s", "seed=3"] });
    const mine = parseScenario(withQuick, "q.yaml", { quick: true, set: ["seed=9"], timeScale: 0.25 });
    expect(mine.ok && [mine.value.scenario.seed, mine.value.scenario.phases[0]!.duration]).toEqual([9, 500]);
    // Without --quick the block changes nothing.
    const full = parseScenario(withQuick, "q.yaml");
    expect(full.ok && [full.value.scenario.seed, full.value.scenario.phases[0]!.duration]).toEqual([1, 2000]);
    const none = parseScenario(minimal, "q.yaml", { quick: true });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.issues[0]!.message).toMatch(/--quick needs a quick: block/);
  });
});
