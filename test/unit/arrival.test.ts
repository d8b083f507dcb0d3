import { describe, expect, test } from "vitest";
import { parseScenario } from "../../harness/scenario/load.js";
import { arrivalModel, arrivalOffsets, expectedArrivals, gamma, lambda, type ArrivalSpec } from "../../harness/traffic/arrival.js";
import { seededRandom } from "../../harness/base/random/prng.js";
import { gapsOf, ksExponential } from "../helpers/stats.js";

const offsets = (spec: ArrivalSpec, totalMs: number, seed = 1) => [...arrivalOffsets(spec, totalMs, seededRandom(seed))];
const countIn = (xs: number[], from: number, to: number) => xs.filter((x) => x >= from && x < to).length;

describe("arrival processes", () => {
  test("constant: exactly n · 1000/rate, so a request due on a phase boundary is in the later phase", () => {
    const xs = offsets({ type: "constant", rate: 10 }, 2_000);
    expect(xs).toHaveLength(20);
    expect(xs[10]).toBe(1_000);
    expect(xs.at(-1)).toBe(1_900);
  });

  test("poisson at 500/s for 20 s: the count is within 2% and the gaps pass a Kolmogorov–Smirnov test for the exponential", () => {
    for (const seed of [1, 2, 3]) {
      const xs = offsets({ type: "poisson", rate: 500 }, 20_000, seed);
      expect(Math.abs(xs.length - 10_000) / 10_000).toBeLessThan(0.02);
      // Critical value at α = 0.01: 1.63 / √n.
      expect(ksExponential(gapsOf(xs), 0.5)).toBeLessThan(1.63 / Math.sqrt(xs.length - 1));
    }
    // The test can fail: evenly spaced arrivals are nowhere near exponential.
    expect(ksExponential(gapsOf(offsets({ type: "constant", rate: 500 }, 20_000)), 0.5)).toBeGreaterThan(0.3);
  });

  test("gamma keeps the mean rate and has the requested burstiness (coefficient of variation of the gaps)", () => {
    for (const cv of [0.5, 2, 4]) {
      const gaps = gapsOf(offsets({ type: "gamma", rate: 200, cv }, 200_000, 7));
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
      expect(mean).toBeCloseTo(5, 0);
      expect(sd / mean).toBeGreaterThan(cv * 0.9);
      expect(sd / mean).toBeLessThan(cv * 1.1);
    }
    const random = seededRandom(4);
    const draws = Array.from({ length: 50_000 }, () => gamma(0.3, random));
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.3, 1);
  });

  test("ramp 0 → 100/s over 10 s: 500 requests, a quarter of them in the first half; then the rate holds", () => {
    const xs = offsets({ type: "ramp", from: 0, to: 100, over: 10_000 }, 12_000);
    expect(countIn(xs, 0, 10_000)).toBe(500);
    expect(countIn(xs, 0, 5_000)).toBe(125);
    expect(countIn(xs, 10_000, 12_000)).toBe(200);
    expect(lambda(arrivalModel({ type: "ramp", from: 0, to: 100, over: 10_000 }, 12_000).segments, 5_000)).toBeCloseTo(125, 9);
  });

  test("steps and spike: the rate of each window, and the last step holding to the end", () => {
    const steps = offsets({ type: "steps", steps: [{ rate: 10, for: 2_000 }, { rate: 50, for: 2_000 }] }, 6_000);
    expect([0, 1, 2, 3, 4, 5].map((s) => countIn(steps, s * 1000, (s + 1) * 1000))).toEqual([10, 10, 50, 50, 50, 50]);
    const spike = offsets({ type: "spike", rate: 10, spike: { at: 2_000, for: 1_000, rate: 100 } }, 5_000);
    expect([0, 1, 2, 3, 4].map((s) => countIn(spike, s * 1000, (s + 1) * 1000))).toEqual([10, 10, 100, 10, 10]);
    const { segments } = arrivalModel({ type: "spike", rate: 10, spike: { at: 2_000, for: 1_000, rate: 100 } }, 5_000);
    expect(expectedArrivals(segments, 2_000, 3_000)).toBeCloseTo(100, 9);
  });

  test("a shaped process can be Poisson too (time rescaling): a Poisson ramp keeps the ramp's counts", () => {
    const xs = offsets({ type: "ramp", from: 100, to: 300, process: "poisson" }, 60_000, 5);
    // Expected 12,000 in all ((100 + 300)/2 × 60 s), 4,500 in the first half ((100 + 200)/2 × 30 s); Poisson noise is about √n.
    expect(Math.abs(xs.length - 12_000)).toBeLessThan(4 * Math.sqrt(12_000));
    expect(Math.abs(countIn(xs, 0, 30_000) - 4_500)).toBeLessThan(4 * Math.sqrt(4_500));
  });

  test("the same seed gives the same schedule; another seed another", () => {
    const spec: ArrivalSpec = { type: "poisson", rate: 50 };
    expect(offsets(spec, 2_000, 9)).toEqual(offsets(spec, 2_000, 9));
    expect(offsets(spec, 2_000, 9)).not.toEqual(offsets(spec, 2_000, 10));
  });
});

describe("arrival configuration", () => {
  const scenario = (arrival: string) => `apiVersion: aire/v1
name: a
target:
  reference:
    providers: [{ name: primary }]
traffic:
  arrival: ${arrival}
phases: [{ name: p, duration: 10s }]
`;
  test.each([
    ["{ rate: 10/s }", true, ""],
    ["{ type: poisson, rate: 20/s }", true, ""],
    ["{ type: ramp, from: 1/s, to: 50/s, over: 5s, process: poisson }", true, ""],
    ["{ type: steps, steps: [{ rate: 5/s, for: 2s }, { rate: 10/s, for: 3s }] }", true, ""],
    ["{ type: spike, rate: 5/s, spike: { at: 2s, for: 1s, rate: 50/s } }", true, ""],
    ["{ type: poison, rate: 10/s }", false, 'a.yaml:7:20  traffic.arrival.type  unknown arrival type "poison"; known types: constant, poisson, gamma, ramp, steps, spike'],
    ["{ type: gamma, rate: 10/s }", false, 'traffic.arrival.cv  missing required key "cv"'],
    ["{ type: ramp, from: 0/s, to: 0/s }", false, "traffic.arrival.to  a ramp from 0/s to 0/s sends nothing"],
    ["{ type: steps, steps: [] }", false, "traffic.arrival.steps  give at least one step"],
    ["{ type: constant, rate: 0/s }", false, "traffic.arrival.rate  the rate must be above 0"],
    ["{ type: spike, rate: 5/s, spike: { at: 2s, for: 1s, rate: 50 } }", false, "traffic.arrival.spike.rate  rate 50 needs a unit"],
  ])("%s", (arrival, ok, message) => {
    const result = parseScenario(scenario(arrival), "a.yaml");
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.issues.map((i) => `${i.where}  ${i.path}  ${i.message}`).join("\n")).toContain(message);
  });
});
