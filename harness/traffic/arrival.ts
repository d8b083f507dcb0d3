/**
 * Arrival processes: when each request is due, as offsets (ms) from the start of the traffic.
 *
 * Every process is a rate profile r(t) and a way of spacing arrivals under it. With Λ(t) = ∫₀ᵗ r
 * (the expected number of arrivals by t), the n-th arrival is due at Λ⁻¹(uₙ), where uₙ is
 * - n (`uniform`: evenly spaced, as wrk2 and k6's arrival-rate executors do),
 * - a sum of n unit exponentials (`poisson`), or
 * - a sum of n unit-mean gamma draws with coefficient of variation `cv` (`gamma`: cv > 1 is
 *   burstier than Poisson, cv < 1 more regular).
 * That is the time-rescaling theorem: a unit-rate process mapped through Λ⁻¹ has rate r(t). So a
 * ramp or a spike can be Poisson too, and a constant uniform rate is exactly n / rate.
 * @module
 */
import type { Random } from "../base/random/prng.js";

/** A piece of the rate profile: from `start` to `end` ms, the rate goes linearly from r0 to r1 (per second). */
export interface RateSegment {
  start: number;
  end: number;
  r0: number;
  r1: number;
}

export type Spacing = { kind: "uniform" } | { kind: "poisson" } | { kind: "gamma"; cv: number };

export type ArrivalSpec =
  | { type: "constant"; rate: number; process?: "uniform" | "poisson" }
  | { type: "poisson"; rate: number }
  | { type: "gamma"; rate: number; cv: number }
  | { type: "ramp"; from: number; to: number; over?: number | undefined; process?: "uniform" | "poisson" }
  | { type: "steps"; steps: readonly { rate: number; for: number }[]; process?: "uniform" | "poisson" }
  | { type: "spike"; rate: number; spike: { at: number; for: number; rate: number }; process?: "uniform" | "poisson" };

/** Closed loop: `vus` users, each sending its next request `thinkTime` after the last answer. */
export interface ClosedSpec {
  type: "closed";
  vus: number;
  thinkTime: number;
}

/** The rate profile over [0, totalMs) and the spacing of a spec. */
export function arrivalModel(spec: ArrivalSpec, totalMs: number): { segments: RateSegment[]; spacing: Spacing } {
  const flat = (rate: number): RateSegment[] => [{ start: 0, end: totalMs, r0: rate, r1: rate }];
  const spacing = (process: "uniform" | "poisson" | undefined): Spacing => ({ kind: process ?? "uniform" });
  switch (spec.type) {
    case "constant":
      return { segments: flat(spec.rate), spacing: spacing(spec.process) };
    case "poisson":
      return { segments: flat(spec.rate), spacing: { kind: "poisson" } };
    case "gamma":
      return { segments: flat(spec.rate), spacing: { kind: "gamma", cv: spec.cv } };
    case "ramp": {
      const over = Math.min(spec.over ?? totalMs, totalMs);
      const segments: RateSegment[] = [{ start: 0, end: over, r0: spec.from, r1: spec.to }];
      if (over < totalMs) segments.push({ start: over, end: totalMs, r0: spec.to, r1: spec.to });
      return { segments, spacing: spacing(spec.process) };
    }
    case "steps": {
      const segments: RateSegment[] = [];
      let t = 0;
      for (const step of spec.steps) {
        if (t >= totalMs) break;
        segments.push({ start: t, end: Math.min(totalMs, t + step.for), r0: step.rate, r1: step.rate });
        t += step.for;
      }
      // The last step's rate holds until the traffic ends.
      const last = spec.steps.at(-1)!;
      if (t < totalMs) segments.push({ start: t, end: totalMs, r0: last.rate, r1: last.rate });
      return { segments, spacing: spacing(spec.process) };
    }
    case "spike": {
      const from = Math.min(spec.spike.at, totalMs);
      const to = Math.min(spec.spike.at + spec.spike.for, totalMs);
      const segments = [
        { start: 0, end: from, r0: spec.rate, r1: spec.rate },
        { start: from, end: to, r0: spec.spike.rate, r1: spec.spike.rate },
        { start: to, end: totalMs, r0: spec.rate, r1: spec.rate },
      ].filter((s) => s.end > s.start);
      return { segments, spacing: spacing(spec.process) };
    }
  }
}

/** Λ at the end of a segment, from its start: expected arrivals within it. */
function segmentCount(s: RateSegment): number {
  return ((s.r0 + s.r1) / 2) * ((s.end - s.start) / 1000);
}

/** Expected arrivals in [from, to) ms. */
export function expectedArrivals(segments: readonly RateSegment[], from: number, to: number): number {
  return lambda(segments, to) - lambda(segments, from);
}

/** Λ(t): expected arrivals in [0, t). */
export function lambda(segments: readonly RateSegment[], t: number): number {
  let total = 0;
  for (const s of segments) {
    if (t <= s.start) break;
    if (t >= s.end) {
      total += segmentCount(s);
      continue;
    }
    const tau = (t - s.start) / 1000;
    const length = (s.end - s.start) / 1000;
    total += s.r0 * tau + ((s.r1 - s.r0) * tau * tau) / (2 * length);
  }
  return total;
}

/**
 * The offsets (ms) at which requests are due, in order, until `totalMs`. Lazy: a million-request
 * run holds one number at a time.
 */
export function* arrivalOffsets(spec: ArrivalSpec, totalMs: number, random: Random): Generator<number, void, undefined> {
  const { segments, spacing } = arrivalModel(spec, totalMs);
  // Constant uniform: exactly n · (1000 / rate), as integer-friendly as it gets (phase boundaries stay exact).
  if (spacing.kind === "uniform" && segments.length === 1 && segments[0]!.r0 === segments[0]!.r1) {
    const interval = 1000 / segments[0]!.r0;
    for (let n = 0; n * interval < totalMs; n++) yield n * interval;
    return;
  }
  const draw = unitSpacing(spacing, random);
  let u = spacing.kind === "uniform" ? 0 : draw();
  let seg = 0;
  let before = 0; // Λ at the start of segment `seg`
  for (;;) {
    while (seg < segments.length && before + segmentCount(segments[seg]!) <= u) {
      before += segmentCount(segments[seg]!);
      seg++;
    }
    if (seg >= segments.length) return;
    const t = invertWithin(segments[seg]!, u - before);
    if (t >= totalMs) return;
    yield t;
    u += draw();
  }
}

/**
 * The unit-rate arrivals of a spec: the n-th is at uₙ expected arrivals (n for `uniform`, a sum of
 * unit-mean draws otherwise). Mapped through a rate profile by `arrivalAt`, they are the offsets
 * `arrivalOffsets` gives; through a profile a facilitator changed (phase-clock.ts), the same draws
 * at the times the changed profile gives. Endless: the caller stops at the traffic's end.
 */
export function* unitArrivals(spec: ArrivalSpec, random: Random): Generator<number, never, undefined> {
  const { spacing } = arrivalModel(spec, 1);
  const draw = unitSpacing(spacing, random);
  let u = spacing.kind === "uniform" ? 0 : draw();
  for (;;) {
    yield u;
    u += draw();
  }
}

/** The offset (ms) at which `u` arrivals are expected under `segments` (Infinity past their end); `uniform`: evenly spaced. */
export function arrivalAt(segments: readonly RateSegment[], u: number, uniform: boolean): number {
  let before = 0;
  for (const s of segments) {
    const count = s.r0 === 0 && s.r1 === 0 ? 0 : segmentCount(s);
    if (before + count <= u) {
      before += count;
      continue;
    }
    // Evenly spaced at a flat rate: k · interval from the segment's start, as arrivalOffsets has it.
    if (uniform && s.r0 === s.r1) return s.start + (u - before) * (1000 / s.r0);
    return invertWithin(s, u - before);
  }
  return Number.POSITIVE_INFINITY;
}

/** The time within segment `s` (absolute ms) at which `count` arrivals have been expected since its start. */
function invertWithin(s: RateSegment, count: number): number {
  const length = (s.end - s.start) / 1000;
  const slope = (s.r1 - s.r0) / length; // rate change per second
  let tau: number;
  if (Math.abs(slope) < 1e-12) tau = count / s.r0;
  else {
    // r0·τ + slope·τ²/2 = count  →  τ = (−r0 + √(r0² + 2·slope·count)) / slope
    const disc = Math.max(0, s.r0 * s.r0 + 2 * slope * count);
    tau = (-s.r0 + Math.sqrt(disc)) / slope;
  }
  return s.start + tau * 1000;
}

/** Unit-mean gaps between successive arrivals of the unit-rate process. */
function unitSpacing(spacing: Spacing, random: Random): () => number {
  if (spacing.kind === "uniform") return () => 1;
  if (spacing.kind === "poisson") return () => -Math.log(1 - random());
  const shape = 1 / (spacing.cv * spacing.cv);
  return () => gamma(shape, random) / shape;
}

/** A Gamma(shape, 1) draw (Marsaglia–Tsang; boosted for shape < 1). */
export function gamma(shape: number, random: Random): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One line describing a spec, for `aire plan` and the terminal. */
export function describeArrival(spec: ArrivalSpec | ClosedSpec): string {
  const r = (x: number) => `${x}/s`;
  if (spec.type === "closed") return `closed loop, ${spec.vus} virtual users${spec.thinkTime > 0 ? `, think time ${spec.thinkTime / 1000}s` : ""}`;
  const p = "process" in spec && spec.process === "poisson" ? ", Poisson" : "";
  switch (spec.type) {
    case "constant":
      return `constant ${r(spec.rate)}${p}`;
    case "poisson":
      return `Poisson ${r(spec.rate)}`;
    case "gamma":
      return `gamma ${r(spec.rate)}, cv ${spec.cv}`;
    case "ramp":
      return `ramp ${r(spec.from)} → ${r(spec.to)}${spec.over === undefined ? " over the run" : ` over ${spec.over / 1000}s`}${p}`;
    case "steps":
      return `steps ${spec.steps.map((s) => `${r(s.rate)} for ${s.for / 1000}s`).join(", ")}${p}`;
    case "spike":
      return `${r(spec.rate)} with a spike to ${r(spec.spike.rate)} at ${spec.spike.at / 1000}s for ${spec.spike.for / 1000}s${p}`;
  }
}
