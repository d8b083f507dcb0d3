/** The stack's telemetry summarized per phase: a gauge's highest level, a counter's increase. */
import { describe, expect, test } from "vitest";
import { starvedSeconds, summarizeTelemetry, type TelemetryLine } from "../../harness/results/telemetry.js";

const phases = [
  { name: "baseline", start: 0, end: 3000 },
  { name: "burst", start: 3000, end: 6000 },
];
const rel = (t: number) => t - 1000; // the events' clock runs 1 s ahead of the samples'
const gw = (t: number, values: Record<string, number>): TelemetryLine => ({ t: t + 1000, component: "gateway", values });

describe("telemetry summary", () => {
  test("gauges: the highest level in each phase; counters: the increase, a series that appears counting from 0, a reset from 0", () => {
    const breaker = 'aire_gateway_breaker_state{provider="primary"}';
    const retries = 'aire_gateway_retries_total{kind="fallback",provider="secondary"}';
    const attempts = 'aire_gateway_upstream_attempts_total{provider="primary",result="ok"}';
    const lines = [
      gw(-500, { [breaker]: 0, [attempts]: 10 }), // before the first phase: the baseline of its counters
      gw(500, { [breaker]: 0, [attempts]: 14 }),
      gw(1500, { [breaker]: 0, [attempts]: 20 }),
      gw(3500, { [breaker]: 2, [attempts]: 21, [retries]: 8 }), // the fallback counter appears: 8 since the scrape before
      gw(4500, { [breaker]: 1, [attempts]: 3, [retries]: 12 }), // a restarted counter: 3 since the reset
      { t: 6000, component: "gateway", error: "This operation was aborted" },
      gw(5500, { [breaker]: 0, [attempts]: 5, [retries]: 12 }),
    ];
    const summary = summarizeTelemetry(lines, phases, rel);
    expect(summary.phases.baseline!.gateway).toEqual({ [breaker]: 0, [attempts]: 10 });
    expect(summary.phases.burst!.gateway).toEqual({ [breaker]: 2, [attempts]: 1 + 3 + 2, [retries]: 12 });
    expect(summary.lows.burst!.gateway).toEqual({ [breaker]: 0 });
    expect([summary.scrapes, summary.failures, summary.errors]).toEqual([7, 1, { gateway: "This operation was aborted" }]);
    expect(summary.series).toEqual([{ component: "gateway", key: breaker, points: [[-500, 0], [500, 0], [1500, 0], [3500, 2], [4500, 1], [5500, 0]] }]);
  });

  test("a histogram's _count, _sum and _bucket add up as counters do; its quantile-free level series do not", () => {
    const count = 'gen_ai_client_operation_duration_seconds_count{gen_ai_provider_name="llm"}';
    const sum = "x_seconds_sum";
    const bucket = 'x_seconds_bucket{le="0.1"}';
    const level = "aire_gateway_in_flight";
    const summary = summarizeTelemetry([gw(-100, { [count]: 16, [sum]: 1, [bucket]: 2, [level]: 3 }), gw(1000, { [count]: 60, [sum]: 3.5, [bucket]: 9, [level]: 5 }), gw(2000, { [count]: 100, [sum]: 4, [bucket]: 10, [level]: 1 })], phases, rel);
    expect(summary.phases.baseline!.gateway).toEqual({ [count]: 84, [sum]: 3, [bucket]: 8, [level]: 5 });
  });

  test("without a scrape before a phase, its first scrape is the counters' baseline; a phase with no scrape has no figures", () => {
    const key = "aire_gateway_shed_total";
    const summary = summarizeTelemetry([gw(3200, { [key]: 40 }), gw(4200, { [key]: 45 })], phases, rel);
    expect(summary.phases.baseline).toEqual({ gateway: {} });
    expect(summary.phases.burst!.gateway).toEqual({ [key]: 5 });
  });
});

describe("a starved stack", () => {
  test("a second whose worst event-loop stall passed the budget, with the phases it overlaps; neither the start-up scrape nor a p99 above the budget counts", () => {
    const lag = (component: string, t: number, maxS: number, p99S = 0.001): TelemetryLine => ({ t: t + 1000, component, values: { nodejs_eventloop_lag_max_seconds: maxS, nodejs_eventloop_lag_p99_seconds: p99S } });
    const lines = [
      lag("provider-primary", -50, 0.41), // start-up: the tokenizer, before the first phase
      lag("provider-primary", 950, 0.02),
      lag("gateway", 1950, 0.2, 0.3), // under the budget at its worst (a p99 above it is not a stall)
      lag("provider-secondary", 3400, 1.21), // covers 2.4–3.4 s: the end of baseline and the start of burst
      { t: 5000, component: "provider-secondary", error: "timeout" },
      lag("provider-secondary", 5400, 0.26),
    ];
    expect(starvedSeconds(lines, 250, phases, rel)).toEqual([
      { component: "provider-secondary", at: 3400, lagMs: 1210, phases: ["baseline", "burst"] },
      { component: "provider-secondary", at: 5400, lagMs: 260, phases: ["burst"] },
    ]);
    expect(starvedSeconds(lines, 2000, phases, rel)).toEqual([]);
  });
});

describe("what the stack reported, in words", () => {
  test("the gateway first, then the providers by name, whichever scrape answered first", async () => {
    const { telemetryFacts } = await import("../../reports/telemetry.js");
    const report = {
      target: { kind: "reference" },
      phases: [{ name: "burst" }],
      telemetry: {
        phases: { burst: { "provider-secondary": { aire_provider_pods_ready: 1 }, gateway: { 'aire_gateway_breaker_state{provider="primary"}': 2 }, "provider-primary": { aire_provider_pods_ready: 2, 'aire_provider_injected_errors_total{status="503"}': 8 } } },
        lows: { burst: { "provider-primary": { aire_provider_pods_ready: 1 } } },
      },
    } as unknown as Parameters<typeof telemetryFacts>[0];
    expect(telemetryFacts(report)).toEqual([
      { phase: "burst", facts: ["breaker at worst: primary open", "retries 0", "failed upstream attempts 0", "primary: 1–2 pods ready, 8 injected errors", "secondary: 1 pods ready"] },
    ]);
  });
});

describe("report.html's lines", () => {
  test("a measured line joins seconds' middles; a state (a breaker) steps at the second it was read in, never before", async () => {
    const { seriesRuns } = await import("../../reports/html.js");
    const x = (t: number) => t * 10;
    const y = (v: number) => 100 - v * 10;
    expect(seriesRuns([0, 2, null, 1], x, y)).toEqual(["5.0,100.0 15.0,80.0", "35.0,90.0"]);
    // Closed in second 0, open from second 1: flat at 0 until x(1), the rise at x(1), not before.
    expect(seriesRuns([0, 2, 2], x, y, true)).toEqual(["0.0,100.0 10.0,100.0 10.0,80.0 20.0,80.0 20.0,80.0 30.0,80.0"]);
  });
});
