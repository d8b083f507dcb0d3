import { describe, expect, test } from "vitest";
import { compare, parseAssertion } from "../../harness/slo/expression.js";

describe("assertion parsing", () => {
  test.each([
    ["ttft.p95 < 800ms", { kind: "measure", unit: "ms", measure: { kind: "latency", metric: "ttft", stat: "p95" }, op: "<", threshold: { kind: "value", value: 800 } }],
    ["e2e.p99 <= 1.5s", { measure: { metric: "e2e", stat: "p99" }, op: "<=", threshold: { value: 1500 } }],
    ["tpot.mean<60ms", { measure: { metric: "tpot", stat: "mean" }, op: "<", threshold: { value: 60 } }],
    ["availability >= 99.5%", { unit: "ratio", measure: { kind: "ratio", metric: "availability" }, op: ">=", threshold: { value: 0.995 } }],
    ["error_rate < 1%", { measure: { kind: "ratio", metric: "error_rate" }, threshold: { value: 0.01 } }],
    ["error_rate{class=http_429} < 0.02", { measure: { metric: "error_rate", errorClass: "http_429" }, threshold: { value: 0.02 } }],
    ["availability{tenant=quiet} >= 99%", { measure: { metric: "availability", scope: { tenant: "quiet" } }, threshold: { value: 0.99 } }],
    ["error_rate{tenant=noisy, class=http_429} > 30%", { measure: { metric: "error_rate", errorClass: "http_429", scope: { tenant: "noisy" } } }],
    ["ttft.p95{workload=rag} < 2s", { measure: { metric: "ttft", scope: { workload: "rag" } }, threshold: { value: 2000 } }],
    ["ttft.p95{provider=primary, tenant=team-a} < 2s", { measure: { scope: { provider: "primary", tenant: "team-a" } } }],
    ["itl.p99 < 100ms", { measure: { metric: "itl", stat: "p99" } }],
    ["max_stall.max < 2s", { measure: { metric: "max_stall", stat: "max" }, threshold: { value: 2000 } }],
    ["error_rate{class=quality} < 0.5%", { measure: { errorClass: "quality" }, threshold: { value: 0.005 } }],
    ["goodput(ttft < 1s, tpot < 50ms) >= 95%", { unit: "ratio", measure: { kind: "goodput", conditions: [{ metric: "ttft", op: "<", ms: 1000 }, { metric: "tpot", op: "<", ms: 50 }] }, op: ">=", threshold: { value: 0.95 } }],
    ["goodput(e2e <= 2s){tenant=a} >= 0.9", { measure: { kind: "goodput", scope: { tenant: "a" } }, threshold: { value: 0.9 } }],
    ["retry_amplification < 1.5", { unit: "number", measure: { kind: "retry_amplification" }, threshold: { value: 1.5 } }],
    ["ttft.p95 <= 1.2 * baseline", { measure: { metric: "ttft" }, op: "<=", threshold: { kind: "baseline", factor: 1.2 } }],
    ["retry_amplification <= 1.1 * baseline", { threshold: { kind: "baseline", factor: 1.1 } }],
    ["cost.per_1k_requests < $2", { unit: "usd", measure: { kind: "cost", field: "per_1k_requests" }, threshold: { value: 2 } }],
    ["cost.total <= 0.5", { measure: { kind: "cost", field: "total" }, threshold: { value: 0.5 } }],
    ["throughput >= 20/s", { unit: "per_sec", measure: { kind: "throughput" }, threshold: { value: 20 } }],
    ["throughput >= 600/m", { threshold: { value: 10 } }],
    ["burn_rate(slo: 99.9%, window: 5m) < 14.4", { unit: "number", measure: { kind: "burn_rate", slo: 0.999, windowMs: 300_000 }, threshold: { value: 14.4 } }],
    ["recovery_time(ttft.p95 <= 1.2 * baseline) < 30s", { kind: "recovery_time", unit: "ms", condition: { measure: { metric: "ttft", stat: "p95" }, op: "<=", threshold: { kind: "baseline", factor: 1.2 } }, windowMs: 5000, op: "<", threshold: { value: 30_000 } }],
    ["recovery_time(availability >= 99%, window: 10s) < 1m", { kind: "recovery_time", windowMs: 10_000, threshold: { value: 60_000 } }],
    ["time_to_detect < 10s", { kind: "time_to_detect", threshold: { value: 10_000 } }],
    ["time_to_detect(error_rate > 5%) < 10s", { kind: "time_to_detect", condition: { measure: { metric: "error_rate" }, op: ">", threshold: { value: 0.05 } } }],
  ])("%s", (text, expected) => {
    const parsed = parseAssertion(text);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.value).toMatchObject(expected);
    expect(parsed.value.text).toBe(text.trim());
  });

  test.each([
    ["ttft < 800ms", /needs a statistic/],
    ["ttft.p95 < 800", /not a duration.*need a unit/],
    ["ttft.p42 < 800ms", /unknown statistic "p42"/],
    ["availability.p95 >= 99%", /takes no statistic/],
    ["availability >= 150%", /not a ratio/],
    ["error_rate{class=http_418} < 1%", /unknown error class/],
    ["availability{class=timeout} > 1%", /class filter is for error_rate/],
    ["availability{region=eu} > 1%", /unknown filter "region"/],
    ["availability{tenant=a, tenant=b} > 1%", /given twice/],
    ["availability{tenant} > 1%", /cannot read filter/],
    ["latency.p95 < 1s", /unknown measure "latency"/],
    ["ttft.p95 800ms", /expected a comparison/],
    ["process.exit(1) < 1s", /unknown measure "process"/],
    ["ttft.p95 < 800ms; rm -rf /", /unexpected ";/],
    ["goodput(itl < 1s) > 90%", /per-request latency/],
    ["goodput(ttft > 1s) > 90%", /upper bounds/],
    ["availability >= 0.9 * baseline", /relative thresholds are for/],
    ["ttft.p95 < 1.2 * budget", /"<factor> \* baseline"/],
    ["retry_amplification < 150%", /plain number/],
    ["cost.per_1k_requests < 2ms", /amount in USD/],
    ["throughput > 20", /takes a rate/],
    ["burn_rate(window: 1h) < 14.4", /needs slo/],
    ["burn_rate(slo: 100%) < 2", /below 100%/],
    ["recovery_time < 30s", /needs a condition/],
    ["recovery_time(time_to_detect < 1s) < 30s", /cannot be nested/],
    ["recovery_time(ttft.p95 < 1s) < 30", /not a duration/],
    ["time_to_detect(ttft.p95 < 1s, budget: 3s) < 30s", /unknown argument "budget"/],
    ["", /cannot read assertion/],
  ])("%s is refused: %s", (text, message) => {
    const parsed = parseAssertion(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

test.each([
  [1, "<", 2, true],
  [2, "<", 2, false],
  [2, "<=", 2, true],
  [2, ">=", 2, true],
  [2, ">", 2, false],
  [2, "==", 2, true],
] as const)("%d %s %d is %s", (a, op, b, expected) => expect(compare(a, op, b)).toBe(expected));
