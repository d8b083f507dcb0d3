/**
 * The phase clock (harness/traffic/phase-clock.ts): plan time against wall time under a
 * facilitator's hold, resume, extend and advance; the arrival profile it makes in wall time; and
 * the same unit arrivals mapped through it (arrival.ts `unitArrivals`/`arrivalAt`), which without
 * any action are exactly `arrivalOffsets`.
 */
import { describe, expect, test } from "vitest";
import { seededRandom } from "../../harness/base/random/prng.js";
import { arrivalAt, arrivalModel, arrivalOffsets, unitArrivals, type ArrivalSpec } from "../../harness/traffic/arrival.js";
import { PhaseClock } from "../../harness/traffic/phase-clock.js";

const phases = [
  { name: "calm", duration: 10_000 },
  { name: "storm", duration: 20_000 },
  { name: "after", duration: 10_000 },
];

/** The wall offsets of a spec's arrivals through a clock, up to its end. */
function offsets(spec: ArrivalSpec, clock: PhaseClock, byHand = true): number[] {
  const model = arrivalModel(spec, clock.total);
  const wall = clock.wallProfile(model.segments, byHand);
  const out: number[] = [];
  for (const u of unitArrivals(spec, seededRandom(7))) {
    const t = arrivalAt(wall, u, model.spacing.kind === "uniform");
    if (!(t < clock.wallEnd())) break;
    out.push(t);
  }
  return out;
}

describe("the phase clock", () => {
  test("untouched, plan time is wall time, and the arrivals are exactly arrivalOffsets' (uniform, Poisson, ramp, steps, spike)", () => {
    const clock = new PhaseClock(phases);
    expect([clock.planAt(12_345), clock.wallOf(12_345), clock.wallEnd(), clock.phaseIndexAt(10_000)]).toEqual([12_345, 12_345, 40_000, 1]);
    const specs: ArrivalSpec[] = [
      { type: "constant", rate: 25 },
      { type: "poisson", rate: 40 },
      { type: "gamma", rate: 10, cv: 2 },
      { type: "ramp", from: 1, to: 50, over: 30_000 },
      { type: "steps", steps: [{ rate: 5, for: 10_000 }, { rate: 30, for: 20_000 }], process: "poisson" },
      { type: "spike", rate: 10, spike: { at: 12_000, for: 3_000, rate: 100 } },
    ];
    for (const spec of specs) expect(offsets(spec, clock), spec.type).toEqual([...arrivalOffsets(spec, 40_000, seededRandom(7))]);
  });

  test("hold: plan time stands still, the traffic goes on at the held rate, and resume carries on where it stood", () => {
    const clock = new PhaseClock(phases);
    clock.apply({ action: "hold", at: 15_000 });
    expect([clock.planAt(25_000), clock.heldAt(25_000), clock.heldOpenAt(25_000), clock.wallEnd()]).toEqual([15_000, true, true, Number.POSITIVE_INFINITY]);
    expect(clock.windows().map((w) => w.end)).toEqual([10_000, null]);
    expect(clock.refusal({ action: "hold", at: 20_000 })).toBe("the phase is held already");
    expect(clock.refusal({ action: "extend", at: 20_000, ms: 1000 })).toMatch(/held: resume it/);
    clock.apply({ action: "resume", at: 27_000 });
    expect([clock.planAt(27_000), clock.planAt(30_000), clock.wallEnd(), clock.heldAt(28_000)]).toEqual([15_000, 18_000, 52_000, false]);
    expect(clock.windows()).toEqual([
      { name: "calm", start: 0, end: 10_000 },
      { name: "storm", start: 10_000, end: 42_000 },
      { name: "after", start: 42_000, end: 52_000 },
    ]);
    // A ramp held at 15 s (plan) stays at its 15 s rate for the 12 s of the hold.
    const ramp: ArrivalSpec = { type: "ramp", from: 0, to: 40, over: 40_000 };
    const wall = clock.wallProfile(arrivalModel(ramp, 40_000).segments, true);
    expect(wall).toEqual([
      { start: 0, end: 15_000, r0: 0, r1: 15 },
      { start: 15_000, end: 27_000, r0: 15, r1: 15 },
      { start: 27_000, end: 52_000, r0: 15, r1: 40 },
    ]);
    const held = offsets(ramp, clock).filter((t) => t >= 15_000 && t < 27_000);
    expect(held.length).toBe(12 * 15);
  });

  test("extend: a hold that ends by itself; extending again lengthens it; resume cuts it short", () => {
    const clock = new PhaseClock(phases);
    clock.apply({ action: "extend", at: 5_000, ms: 4_000 });
    expect([clock.planAt(7_000), clock.heldOpenAt(7_000), clock.planAt(10_000), clock.wallEnd()]).toEqual([5_000, false, 6_000, 44_000]);
    clock.apply({ action: "extend", at: 8_000, ms: 2_000 });
    expect([clock.planAt(10_500), clock.planAt(12_000), clock.wallEnd()]).toEqual([5_000, 6_000, 46_000]);
    clock.apply({ action: "resume", at: 9_000 });
    expect([clock.planAt(9_000), clock.planAt(10_000), clock.wallEnd()]).toEqual([5_000, 6_000, 44_000]);
  });

  test("advance: the phase ends now, the next starts; in the last one the traffic ends", () => {
    const clock = new PhaseClock(phases);
    clock.apply({ action: "advance", at: 4_000 });
    expect([clock.planAt(4_000), clock.phaseIndexAt(3_999), clock.phaseIndexAt(4_000), clock.wallEnd()]).toEqual([10_000, 0, 1, 34_000]);
    // Plan times skipped over are reached at the advance.
    expect(clock.wallOf(7_000)).toBe(4_000);
    clock.apply({ action: "hold", at: 10_000 });
    clock.apply({ action: "advance", at: 12_000 });
    expect(clock.windows()).toEqual([
      { name: "calm", start: 0, end: 4_000 },
      { name: "storm", start: 4_000, end: 12_000 },
      { name: "after", start: 12_000, end: 22_000 },
    ]);
    clock.apply({ action: "advance", at: 15_000 });
    expect(clock.wallEnd()).toBe(15_000);
    expect(clock.refusal({ action: "hold", at: 16_000 })).toBe("the phases are over");
    // No request is due in the parts cut away: a constant 10/s sends for the 15 s that ran.
    expect(offsets({ type: "constant", rate: 10 }, clock).length).toBe(150);
  });

  test("a rate set by hand replaces the shared arrival's from then on; the tenants' own are left alone", () => {
    const clock = new PhaseClock(phases);
    clock.apply({ action: "rate", at: 10_000, rate: 50 });
    clock.apply({ action: "rate", at: 20_000, rate: null });
    const constant: ArrivalSpec = { type: "constant", rate: 10 };
    const counts = (list: number[]) => [list.filter((t) => t < 10_000).length, list.filter((t) => t >= 10_000 && t < 20_000).length, list.filter((t) => t >= 20_000).length];
    expect(counts(offsets(constant, clock))).toEqual([100, 500, 200]);
    expect(counts(offsets(constant, clock, false))).toEqual([100, 100, 200]);
    // Replayed from its actions, a clock is the same clock.
    const again = PhaseClock.replay(phases, clock.actions);
    expect(offsets(constant, again)).toEqual(offsets(constant, clock));
  });

  test("held at a rate of 0, nothing is due until something changes", () => {
    const clock = new PhaseClock(phases);
    clock.apply({ action: "rate", at: 1_000, rate: 0 });
    clock.apply({ action: "hold", at: 2_000 });
    const model = arrivalModel({ type: "constant", rate: 10 }, clock.total);
    const wall = clock.wallProfile(model.segments, true);
    expect(arrivalAt(wall, 10, true)).toBe(Number.POSITIVE_INFINITY);
    clock.apply({ action: "rate", at: 5_000, rate: null });
    expect(arrivalAt(clock.wallProfile(model.segments, true), 10, true)).toBe(5_000);
  });
});
