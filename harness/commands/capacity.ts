/**
 * `aire capacity`: the highest arrival rate at which a scenario's hypotheses still PASS.
 *
 * Each step is a full scored run of the scenario (its stack, warm-up, phases and faults, unless
 * `withFaults` is false) with `traffic.arrival` scaled so that its peak rate is the step's rate
 * (a constant, Poisson or gamma arrival: that rate; a ramp, steps or a spike: the whole profile,
 * its shape kept). The search ramps geometrically from
 * `from` until a step does not PASS, then bisects between the last PASS and the first failure
 * until they are within `tolerance` of each other. Then it checks its own answer: the capacity
 * must PASS again with another seed, and the step above it must fail again with that seed. A
 * step that is INVALID (the generator could not keep its schedule) ends the search: above that
 * rate aire cannot measure, and says so.
 * @module
 */
import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { HarnessError } from "../base/errors.js";
import type { CapacityResult, CapacityStep, StepPurpose } from "../results/capacity.js";
import { loadScenarioOrThrow, type LoadOptions } from "../scenario/load.js";
import { runScenario, type RunOptions } from "../orchestrator/run-scenario.js";
import { newRunId } from "../results/run-id.js";
import type { RunReport } from "../results/run-report.js";
import type { Scenario } from "../scenario/schema.js";

type Arrival = Scenario["traffic"]["arrival"];

/** The highest rate an open-loop arrival reaches, req/s (undefined for a closed loop). */
export function peakRate(a: Arrival): number | undefined {
  switch (a.type) {
    case "constant":
    case "poisson":
    case "gamma":
      return a.rate;
    case "ramp":
      return Math.max(a.from, a.to);
    case "steps":
      return Math.max(...a.steps.map((s) => s.rate));
    case "spike":
      return Math.max(a.rate, a.spike.rate);
    case "closed":
      return undefined;
  }
}

/** The arrival with every rate multiplied by k, as a `--set traffic.arrival=…` value (JSON is YAML). */
export function scaledArrival(a: Arrival, k: number): string {
  const r = (v: number) => `${Math.round(v * k * 1000) / 1000}/s`;
  const d = (v: number) => `${v}ms`;
  const process = "process" in a && a.process !== undefined ? { process: a.process } : {};
  switch (a.type) {
    case "constant":
      return JSON.stringify({ type: a.type, rate: r(a.rate), ...process });
    case "poisson":
      return JSON.stringify({ type: a.type, rate: r(a.rate) });
    case "gamma":
      return JSON.stringify({ type: a.type, rate: r(a.rate), cv: a.cv });
    case "ramp":
      return JSON.stringify({ type: a.type, from: r(a.from), to: r(a.to), ...(a.over !== undefined ? { over: d(a.over) } : {}), ...process });
    case "steps":
      return JSON.stringify({ type: a.type, steps: a.steps.map((s) => ({ rate: r(s.rate), for: d(s.for) })), ...process });
    case "spike":
      return JSON.stringify({ type: a.type, rate: r(a.rate), spike: { at: d(a.spike.at), for: d(a.spike.for), rate: r(a.spike.rate) }, ...process });
    case "closed":
      throw new HarnessError("USAGE", { message: "a closed loop has no rate to scale: aire capacity needs an open-loop arrival" });
  }
}

export interface CapacityOptions {
  /** The first rate tried, req/s (default: the scenario's own). */
  from?: number;
  /** Never above this rate, req/s (default: from × 64). */
  max?: number;
  /** Ramp factor (default 2). */
  factor: number;
  /** Bisection stops when (first failure − last PASS) / last PASS is at most this (default 0.1). */
  tolerance: number;
  /** Steps at most, verification included (default 14). */
  maxSteps: number;
  /** Keep the scenario's faults (default); false removes them: capacity of the healthy system. */
  withFaults: boolean;
  /** Re-run the found rate and the one above it with another seed (default true). */
  verify: boolean;
  /** The rate that must be met: below it the command exits 1. */
  require?: number;
}

export type { CapacityResult, CapacityStep, StepPurpose } from "../results/capacity.js";

const round = (r: number) => Math.round(r * 10) / 10;

function stepOf(report: RunReport, rate: number, seed: number, purpose: StepPurpose, seconds: number, dir: string): CapacityStep {
  const t = report.total;
  const window = report.timeline.end;
  return {
    rate,
    seed,
    purpose,
    verdict: report.verdict,
    ttftP95: t.ttft.p95,
    availability: t.availability,
    errorRate: t.errorRate,
    throughput: window > 0 ? Math.round((t.ok / (window / 1000)) * 100) / 100 : null,
    requests: t.requests,
    notPassing: report.hypotheses.filter((h) => h.verdict !== "PASS").map((h) => h.name),
    seconds,
    dir,
  };
}

/** The highest rate before TTFT p95 rose by more than 50% over its value at the lowest rate tried. */
export function kneeOf(steps: readonly Pick<CapacityStep, "rate" | "ttftP95" | "purpose">[]): number | null {
  const byRate = steps.filter((s) => s.purpose !== "verify-pass" && s.purpose !== "verify-fail" && s.ttftP95 !== null).sort((a, b) => a.rate - b.rate);
  if (byRate.length < 2) return null;
  const floor = byRate[0]!.ttftP95!;
  let knee: number | null = null;
  for (const s of byRate) {
    if (s.ttftP95! > 1.5 * floor) return knee;
    knee = s.rate;
  }
  return null; // TTFT never rose: no knee within the rates tried
}

export async function capacitySearch(file: string, load: LoadOptions, options: CapacityOptions, run: Omit<RunOptions, "outDir"> & { outDir: string }): Promise<CapacityResult> {
  const base = await loadScenarioOrThrow(file, load);
  const { scenario } = base;
  const arrival = scenario.traffic.arrival;
  const peak = peakRate(arrival);
  if (peak === undefined || !(peak > 0)) {
    throw new HarnessError("USAGE", { message: `${file}: capacity scales traffic.arrival, so it needs an open-loop arrival (constant, poisson, gamma, ramp, steps or spike); this one is ${arrival.type}` });
  }
  const from = options.from ?? peak;
  const max = options.max ?? from * 64;
  if (!(from > 0) || !(max >= from)) throw new HarnessError("USAGE", { message: `capacity: need 0 < --from (${from}/s) ≤ --max (${max}/s)` });
  const dir = join(run.outDir, newRunId(`capacity-${scenario.name}`));
  await mkdir(dir, { recursive: true });
  const noFaults = options.withFaults ? [] : scenario.phases.map((_, i) => `phases[${i}].faults=[]`);
  const steps: CapacityStep[] = [];
  let note: string | undefined;

  const step = async (rate: number, seed: number, purpose: StepPurpose): Promise<CapacityStep> => {
    // The whole profile scaled so that its peak is `rate` (one rate: that rate).
    const loaded = await loadScenarioOrThrow(file, { ...load, set: [...(load.set ?? []), ...noFaults, `traffic.arrival=${scaledArrival(arrival, rate / peak)}`, `seed=${seed}`] });
    run.log?.(`capacity: ${purpose} at ${rate}/s (seed ${seed})`);
    const started = performance.now();
    const { report, dir: stepDir } = await runScenario(loaded, { ...run, outDir: dir });
    const s = stepOf(report, rate, seed, purpose, Math.round((performance.now() - started) / 100) / 10, stepDir);
    steps.push(s);
    run.log?.(`capacity: ${rate}/s → ${s.verdict}${s.notPassing.length ? ` (${s.notPassing.join("; ")})` : ""}`);
    return s;
  };
  const interrupted = () => run.signal?.aborted === true;
  const stopOn = (s: CapacityStep) => {
    if (s.verdict === "PASS" || s.verdict === "FAIL" || s.verdict === "INCONCLUSIVE") return false;
    note = s.verdict === "INVALID" ? `at ${s.rate}/s the generator fell behind its schedule (INVALID): above that rate this machine cannot measure; the capacity is at least the last PASS` : `the step at ${s.rate}/s ended ${s.verdict}`;
    return true;
  };

  let lastPass: number | null = null;
  let firstFailure: number | null = null;
  let rate = round(from);
  // 1. Geometric ramp up until a step does not pass (or down, if the first one does not).
  let stopped = false;
  while (steps.length < options.maxSteps && !interrupted()) {
    const s = await step(rate, scenario.seed, "ramp");
    if (stopOn(s)) {
      stopped = true;
      break;
    }
    if (s.verdict === "PASS") {
      lastPass = rate;
      if (firstFailure !== null) break;
      if (rate >= max) break;
      rate = round(Math.min(max, rate * options.factor));
    } else {
      firstFailure = rate;
      if (lastPass !== null) break;
      rate = round(rate / options.factor);
      if (rate < from / 64 || rate < 0.1) break;
    }
  }
  // 2. Bisection between the last PASS and the first failure.
  while (!stopped && lastPass !== null && firstFailure !== null && (firstFailure - lastPass) / lastPass > options.tolerance && steps.length < options.maxSteps && !interrupted()) {
    const mid = round((lastPass + firstFailure) / 2);
    if (mid <= lastPass || mid >= firstFailure) break;
    const s = await step(mid, scenario.seed, "bisect");
    if (stopOn(s)) {
      stopped = true;
      break;
    }
    if (s.verdict === "PASS") lastPass = mid;
    else firstFailure = mid;
  }
  // 3. Its neighbours, verified with another seed: the capacity passes again, the step above fails again.
  let verified: boolean | null = null;
  if (!stopped && options.verify && lastPass !== null && !interrupted()) {
    const again = await step(lastPass, scenario.seed + 1, "verify-pass");
    const above = firstFailure !== null && !interrupted() ? await step(firstFailure, scenario.seed + 1, "verify-fail") : undefined;
    verified = again.verdict === "PASS" && (above === undefined || above.verdict !== "PASS");
    if (!verified) note = `not stable at this margin: with seed ${scenario.seed + 1}, ${again.verdict !== "PASS" ? `${lastPass}/s did not PASS (${again.verdict})` : `${firstFailure}/s PASSed`}`;
  }
  if (!stopped && firstFailure === null && lastPass !== null && note === undefined) note = `every rate tried up to ${lastPass}/s PASSed (raise --max to look further)`;
  if (interrupted()) note = "interrupted";
  if (!stopped && steps.length >= options.maxSteps && note === undefined && firstFailure !== null && lastPass !== null && (firstFailure - lastPass) / lastPass > options.tolerance) {
    note = `stopped after ${options.maxSteps} steps, before the bracket was within ${Math.round(options.tolerance * 100)}%`;
  }
  const met = options.require === undefined || (lastPass !== null && lastPass >= options.require);
  // 3: nothing could be measured; 1: no passing rate, below --require, or the verification disagreed.
  const exitCode = interrupted() ? 130 : stopped && lastPass === null ? 3 : lastPass === null || !met || verified === false ? 1 : 0;
  return {
    scenario: scenario.name,
    file,
    capacity: lastPass,
    firstFailure,
    knee: kneeOf(steps),
    verified,
    ...(note !== undefined ? { note } : {}),
    ...(options.require !== undefined ? { require: options.require } : {}),
    withFaults: options.withFaults,
    faults: scenario.phases.reduce((n, p) => n + p.faults.length, 0),
    steps,
    dir,
    exitCode,
  };
}
