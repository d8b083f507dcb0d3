import { describe, expect, test } from "vitest";
import { compare, parseAssertion } from "../../harness/slo/expression.js";

describe("assertion parsing", () => {
  test.each([
    ["ttft.p95 < 800ms", { kind: "latency", metric: "ttft", stat: "p95", op: "<", threshold: 800 }],
    ["e2e.p99 <= 1.5s", { kind: "latency", metric: "e2e", stat: "p99", op: "<=", threshold: 1500 }],
    ["tpot.mean<60ms", { kind: "latency", metric: "tpot", stat: "mean", op: "<", threshold: 60 }],
    ["availability >= 99.5%", { kind: "ratio", metric: "availability", op: ">=", threshold: 0.995 }],
    ["error_rate < 1%", { kind: "ratio", metric: "error_rate", op: "<", threshold: 0.01 }],
    ["error_rate{class=http_429} < 0.02", { kind: "ratio", metric: "error_rate", errorClass: "http_429", op: "<", threshold: 0.02 }],
    ["availability{tenant=quiet} >= 99%", { kind: "ratio", metric: "availability", scope: { tenant: "quiet" }, threshold: 0.99 }],
    ["error_rate{tenant=noisy, class=http_429} > 30%", { kind: "ratio", metric: "error_rate", errorClass: "http_429", scope: { tenant: "noisy" } }],
    ["ttft.p95{workload=rag} < 2s", { kind: "latency", metric: "ttft", stat: "p95", scope: { workload: "rag" }, threshold: 2000 }],
    ["itl.p99 < 100ms", { kind: "latency", metric: "itl", stat: "p99" }],
    ["max_stall.max < 2s", { kind: "latency", metric: "max_stall", stat: "max", threshold: 2000 }],
  ])("%s", (text, expected) => {
    const parsed = parseAssertion(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value).toMatchObject(expected);
  });

  test.each([
    ["ttft < 800ms", /needs a statistic/],
    ["ttft.p95 < 800", /thresholds need a unit/],
    ["ttft.p42 < 800ms", /unknown statistic "p42"/],
    ["availability.p95 >= 99%", /takes no statistic/],
    ["availability >= 150%", /not a ratio/],
    ["error_rate{class=http_418} < 1%", /unknown error class/],
    ["availability{class=timeout} > 1%", /class filter is for error_rate/],
    ["availability{region=eu} > 1%", /unknown filter "region"/],
    ["availability{tenant=a, workload=b} > 1%", /not both/],
    ["availability{tenant=a, tenant=b} > 1%", /given twice/],
    ["availability{tenant} > 1%", /cannot read filter/],
    ["latency.p95 < 1s", /unknown metric "latency"/],
    ["ttft.p95 800ms", /cannot read assertion/],
    ["process.exit(1) < 1s", /cannot read assertion|unknown metric/],
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
