/**
 * Scoring: hypotheses × samples → verdicts. Samples are fed one at a time (from the run, or read
 * back from `samples.jsonl` by `aire report`), in any order; each assertion keeps only the
 * counts and histograms it needs, for its own window and, for the time-based ones, per second.
 * An SLO breach is data: nothing here throws for a failing system.
 * @module
 */
import type { Sample } from "../metrics/sample.js";
import { readingValue, type ProbeReading } from "../metrics/probe-reading.js";
import { compare, describeMeasure, type Assertion, type Condition, type Measure, type Operator, type ProbeMeasure, type Unit } from "./expression.js";
import { Tally, type Observation } from "./tally.js";
import { judgeRate } from "./decidable.js";
import { formatDuration } from "../base/units.js";

export type Verdict = "PASS" | "FAIL" | "INCONCLUSIVE";

/** Where a hypothesis looks: a phase, while any fault is active, after the faults, or the whole run. */
export type WindowSpec = { kind: "phase"; phase: string } | { kind: "fault" } | { kind: "after"; delayMs: number } | { kind: "run" };

export interface HypothesisInput {
  name: string;
  /** How the window reads: a phase name, `fault`, `after fault + 10s`, `run`. */
  during: string;
  window: WindowSpec;
  expect: readonly Assertion[];
  minSamples: number;
}

/** When things happened, in ms since the traffic started (the samples' clock). */
export interface Timeline {
  phases: readonly { name: string; start: number; end: number }[];
  /** Each fault activation: applied at `start`, rolled back at `end` (null: never rolled back, the run died). */
  faults: readonly { name: string; start: number; end: number | null }[];
  /** The end of the last phase. */
  end: number;
}

export interface AssertionResult {
  assertion: string;
  /** The observed value in `unit`; null when there was nothing to measure. */
  observed: number | null;
  op: Operator;
  /** The threshold in `unit` (for a relative one, the factor × the baseline's value). */
  threshold: number | null;
  unit: Unit;
  /** Samples the value was computed from. */
  samples: number;
  /** 95% confidence interval of the observed value (percentiles, ratios); null upper bound: unbounded. */
  ci?: [number, number | null];
  /** For a relative threshold: the baseline's value and the factor. */
  baseline?: { value: number | null; factor: number; window: string };
  verdict: Verdict;
  note?: string;
}

export interface HypothesisResult {
  name: string;
  during: string;
  verdict: Verdict;
  /** Requests in the window. */
  samples: number;
  /** Requests due in the phase but not scored: in flight when a fault of another phase began. */
  excluded?: number;
  reason?: string;
  assertions: AssertionResult[];
}

export interface ScoreContext {
  /** False when the generator fell behind its schedule: nothing it measured may PASS. */
  trafficValid: boolean;
  invalidReason?: string;
  /** Faults that someone else removed while the run believed them active (ms since the traffic started). */
  lostFaults?: readonly { fault: string; phase: string; at: number }[];
  /** Seconds in which a process of the reference stack was starved (its event loop lagged past the budget). */
  starved?: readonly { component: string; at: number; lagMs: number; phases: readonly string[] }[];
  starvedBudgetMs?: number;
}

const key = (m: Measure) => JSON.stringify(m);

/** A sliding-window evaluation of conditions, second by second from an anchor time. */
class Seconds {
  /** Per condition (by measure), per second since the anchor. */
  readonly #buckets: { measure: Measure; key: string; seconds: Map<number, Tally> }[];
  constructor(readonly anchor: () => number | undefined, readonly measures: readonly Measure[]) {
    this.#buckets = measures.map((measure) => ({ measure, key: key(measure), seconds: new Map() }));
  }

  add(sample: Sample): void {
    const anchor = this.anchor();
    if (anchor === undefined || sample.scheduledAt < anchor) return;
    const second = Math.floor((sample.scheduledAt - anchor) / 1000);
    for (const b of this.#buckets) {
      let tally = b.seconds.get(second);
      if (!tally) b.seconds.set(second, (tally = new Tally(b.measure)));
      tally.add(sample);
    }
  }

  /** The measure over seconds [from, to) since the anchor. */
  observe(m: Measure, from: number, to: number): Observation {
    const sum = new Tally(m);
    const k = key(m);
    const buckets = this.#buckets.find((b) => b.key === k)!.seconds;
    for (let s = Math.max(0, from); s < to; s++) {
      const b = buckets.get(s);
      if (b) sum.merge(b);
    }
    return sum.observe((to - Math.max(0, from)) * 1000);
  }
}

interface Slot {
  assertion: Assertion;
  seconds?: Seconds;
  /** time_to_detect without a condition: the hypothesis's other conditions. */
  watched?: Condition[];
  /** The seconds hold only the samples of the hypothesis's window. */
  inWindowOnly?: boolean;
}

class HypothesisScorer {
  total = 0;
  /** Requests due in the phase but left out of it (in flight when another phase's fault began). */
  excluded = 0;
  readonly tallies = new Map<string, Tally>();
  readonly slots: Slot[];

  /** Whether any assertion is about requests (a hypothesis of probes alone needs no requests). */
  readonly aboutRequests: boolean;

  constructor(readonly h: HypothesisInput, readonly timeline: Timeline, readonly inWindow: (s: Sample) => boolean) {
    // Without a condition, time_to_detect watches the other assertions about requests.
    const others = h.expect.flatMap((a) => (a.kind === "measure" && a.measure.kind !== "probe" ? [{ measure: a.measure, op: a.op, threshold: a.threshold }] : []));
    this.aboutRequests = h.expect.some((a) => (a.kind === "measure" ? a.measure.kind !== "probe" : a.condition?.measure.kind !== "probe"));
    this.slots = h.expect.map((assertion) => {
      if (assertion.kind === "measure" && assertion.measure.kind === "probe") return { assertion };
      if (assertion.kind !== "measure" && assertion.condition?.measure.kind === "probe") return { assertion };
      if (assertion.kind === "measure") {
        if (!this.tallies.has(key(assertion.measure))) this.tallies.set(key(assertion.measure), new Tally(assertion.measure));
        // A burn rate is the worst of its sliding windows within the hypothesis's window.
        if (assertion.measure.kind === "burn_rate") return { assertion, seconds: new Seconds(() => windowStart(h.window, timeline), [assertion.measure]), inWindowOnly: true };
        return { assertion };
      }
      const watched = assertion.condition ? [assertion.condition] : others;
      const anchor = assertion.kind === "recovery_time" ? () => lastFaultEnd(timeline) : () => firstFaultStart(timeline);
      return { assertion, seconds: new Seconds(anchor, watched.map((c) => c.measure)), ...(assertion.kind === "time_to_detect" && !assertion.condition ? { watched } : {}) };
    });
  }

  add(sample: Sample): void {
    const inWindow = this.inWindow(sample);
    if (!inWindow && this.h.window.kind === "phase" && sample.phase === this.h.window.phase) this.excluded++;
    for (const slot of this.slots) if (slot.seconds && (inWindow || !slot.inWindowOnly)) slot.seconds.add(sample);
    if (!inWindow) return;
    this.total++;
    for (const tally of this.tallies.values()) tally.add(sample);
  }
}

/** A stored run whose same windows are the baseline of relative thresholds (instead of this run's baseline phase). */
export interface StoredBaseline {
  /** How it reads in results: its run id. */
  name: string;
  timeline: Timeline;
}

export class Scorer {
  readonly #hypotheses: HypothesisScorer[];
  /** The same measures over the baseline window, for relative thresholds: by measure, or with a stored run by hypothesis and measure. */
  readonly #baseline = new Map<string, Tally>();
  readonly #baselinePhase: { name: string; start: number; end: number } | undefined;
  /** With a stored run: which of its samples fall in each hypothesis's window there. */
  readonly #storedWindows: ((s: Sample) => boolean)[] | undefined;
  /** Each probe's readings, by probe name (`t` on the samples' clock). */
  readonly #readings = new Map<string, ProbeReading[]>();

  constructor(hypotheses: readonly HypothesisInput[], readonly timeline: Timeline, readonly stored?: StoredBaseline) {
    this.#baselinePhase = timeline.phases.find((p) => p.name === "baseline") ?? timeline.phases[0];
    this.#hypotheses = hypotheses.map((h) => new HypothesisScorer(h, timeline, windowFilter(h.window, timeline)));
    this.#storedWindows = stored ? hypotheses.map((h) => windowFilter(h.window, stored.timeline)) : undefined;
    hypotheses.forEach((h, i) => {
      for (const a of h.expect) {
        const conditions = a.kind === "measure" ? [a] : a.condition ? [a.condition] : h.expect.filter((o) => o.kind === "measure");
        for (const c of conditions) {
          const k = this.#baselineKey(i, c.measure);
          if (c.threshold.kind === "baseline" && !this.#baseline.has(k)) this.#baseline.set(k, new Tally(c.measure));
        }
      }
    });
  }

  #baselineKey(hypothesis: number, measure: Measure): string {
    return this.stored ? `${hypothesis}:${key(measure)}` : key(measure);
  }

  add(sample: Sample): void {
    if (!this.stored && this.#baselinePhase && sample.phase === this.#baselinePhase.name) for (const t of this.#baseline.values()) t.add(sample);
    for (const h of this.#hypotheses) h.add(sample);
  }

  /** A probe's reading, `t` on the samples' clock (ms since the traffic started). */
  addReading(reading: ProbeReading): void {
    const list = this.#readings.get(reading.probe) ?? [];
    list.push(reading);
    this.#readings.set(reading.probe, list);
  }

  /** A sample of the stored baseline run: counted in the windows it falls in there. */
  addBaseline(sample: Sample): void {
    if (!this.#storedWindows) return;
    const inWindow = this.#storedWindows.map((w) => w(sample));
    for (const [k, tally] of this.#baseline) if (inWindow[Number(k.slice(0, k.indexOf(":")))]) tally.add(sample);
  }

  results(context: ScoreContext): HypothesisResult[] {
    return this.#hypotheses.map((hs) => {
      const h = hs.h;
      const duration = windowDuration(h.window, this.timeline);
      const index = this.#hypotheses.indexOf(hs);
      const assertions = hs.slots.map((slot) => this.#score(slot, hs, duration, index));
      const base = { name: h.name, during: h.during, samples: hs.total, ...(hs.excluded > 0 ? { excluded: hs.excluded } : {}), assertions };
      if (!context.trafficValid) return { ...base, verdict: "INCONCLUSIVE" as const, reason: context.invalidReason ?? "the traffic generator fell behind its schedule" };
      // A phase without the fault it was meant to have measured something else; so did fault, after and run windows.
      const lost = (context.lostFaults ?? []).find((f) => h.window.kind !== "phase" || h.window.phase === f.phase);
      if (lost) return { ...base, verdict: "INCONCLUSIVE" as const, reason: `fault ${lost.fault} was removed by someone else ${formatDuration(lost.at)} after the traffic started: this window did not have the fault it was meant to have` };
      // A phase window in which the stack's own process was starved measured the machine; so did
      // the windows that span phases (fault, after, run) when it happened during the timeline.
      const starved = (context.starved ?? []).find((s) => (h.window.kind === "phase" ? s.phases.includes(h.window.phase) : s.phases.length > 0));
      if (starved) return { ...base, verdict: "INCONCLUSIVE" as const, reason: `the stack's own process ${starved.component} was starved in the second before ${formatDuration(starved.at)}: its event loop stalled ${starved.lagMs} ms (budget ${context.starvedBudgetMs ?? "?"} ms), so this window measured the machine, not the system` };
      if (h.window.kind !== "phase" && h.window.kind !== "run" && this.timeline.faults.length === 0) return { ...base, verdict: "INCONCLUSIVE" as const, reason: "no fault was applied, so there is no fault window" };
      if (hs.aboutRequests && hs.total < h.minSamples) return { ...base, verdict: "INCONCLUSIVE" as const, reason: `${hs.total} samples in "${h.during}", fewer than the ${h.minSamples} required` };
      if (assertions.some((a) => a.verdict === "FAIL")) return { ...base, verdict: "FAIL" as const };
      const unsure = assertions.filter((a) => a.verdict === "INCONCLUSIVE");
      // A probe not heard is its own class of trouble: the reason says which and why.
      const unheard = unsure.find((a) => a.note?.startsWith("probe ") && a.note.includes("could not be read"));
      if (unheard) return { ...base, verdict: "INCONCLUSIVE" as const, reason: `${unheard.note} (${unheard.assertion})` };
      if (unsure.length > 0) return { ...base, verdict: "INCONCLUSIVE" as const, reason: `not decided: ${unsure.map((a) => a.assertion).join("; ")}` };
      return { ...base, verdict: "PASS" as const };
    });
  }

  /**
   * A probe's readings in the window (readings before and after the traffic belong to every
   * window: they are the steady state around it). Every reading must hold, or with an aggregate
   * the one value of them all must. A reading that failed makes it INCONCLUSIVE.
   */
  #scoreProbe(text: string, m: ProbeMeasure, op: Operator, threshold: number, window: WindowSpec): AssertionResult {
    const inWindow = readingWindow(window, this.timeline);
    const readings = (this.#readings.get(m.probe) ?? []).filter((r) => r.moment !== "during" || inWindow(r.t)).sort((x, y) => x.t - y.t);
    const base = { assertion: text, op, threshold, unit: "number" as const, samples: readings.length };
    if (readings.length === 0) return { ...base, observed: null, verdict: "INCONCLUSIVE", note: `probe ${m.probe} has no readings in this window` };
    const unheard = readings.filter((r) => r.error !== undefined);
    if (unheard.length > 0) return { ...base, observed: null, verdict: "INCONCLUSIVE", note: `probe ${m.probe} could not be read ${unheard.length === readings.length ? "at all" : `${unheard.length} of ${readings.length} times`}: ${unheard[0]!.error}` };
    const valued = readings.map((r) => ({ r, v: readingValue(r, m.labels) }));
    const known = valued.filter((x): x is { r: ProbeReading; v: number } => x.v !== null);
    const missing = valued.length - known.length;
    const labels = m.labels ? ` matching {${Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(", ")}}` : "";
    if (m.aggregate === "increase") {
      // A counter that first appears during the run counts from 0; a reset (a value going down) restarts from 0.
      let increase = 0;
      let prev: number | null = null;
      for (const { v } of valued) {
        if (v === null) continue;
        increase += prev === null ? (valued[0]!.v === null ? v : 0) : v >= prev ? v - prev : v;
        prev = v;
      }
      if (known.length === 0) return { ...base, observed: null, verdict: "INCONCLUSIVE", note: `no series${labels} in ${readings.length} readings of probe ${m.probe}` };
      const observed = round(increase);
      return { ...base, observed, verdict: compare(observed, op, threshold) ? "PASS" : "FAIL", note: `over ${readings.length} readings${missing > 0 ? ` (the series${labels} absent from ${missing}, read as 0 before it appeared)` : ""}` };
    }
    if (known.length === 0) return { ...base, observed: null, verdict: "INCONCLUSIVE", note: `no series${labels} in ${readings.length} readings of probe ${m.probe}` };
    const absent = missing > 0 ? `; the series${labels} absent from ${missing} of ${readings.length} readings` : "";
    if (m.aggregate) {
      const values = known.map((x) => x.v);
      const observed = round(m.aggregate === "max" ? Math.max(...values) : m.aggregate === "min" ? Math.min(...values) : m.aggregate === "avg" ? values.reduce((a, b) => a + b, 0) / values.length : m.aggregate === "first" ? values[0]! : values.at(-1)!);
      return { ...base, observed, verdict: compare(observed, op, threshold) ? "PASS" : "FAIL", note: `${m.aggregate} of ${known.length} readings${absent}` };
    }
    // Every reading must hold: the observed value is the first that did not, else the closest to failing.
    const breach = known.find((x) => !compare(x.v, op, threshold));
    if (breach) return { ...base, observed: round(breach.v), verdict: "FAIL", note: `${breach.v} at ${readingTime(breach.r, this.timeline)}; ${known.filter((x) => !compare(x.v, op, threshold)).length} of ${known.length} readings did not hold${breach.r.failed ? ` (${breach.r.failed})` : ""}${absent}` };
    const worst = op === "<" || op === "<=" ? Math.max(...known.map((x) => x.v)) : op === "==" ? known[0]!.v : Math.min(...known.map((x) => x.v));
    return { ...base, observed: round(worst), verdict: "PASS", note: `held at all ${known.length} readings${absent}` };
  }

  /**
   * time_to_detect / recovery_time on a probe: from the first fault's start until the condition
   * first holds (already holding before the fault: nothing was detected), or from the last fault's
   * end until it holds at every later reading. The resolution is the probe's interval.
   */
  #scoreProbeTime(a: Extract<Assertion, { kind: "recovery_time" | "time_to_detect" }>, m: ProbeMeasure, op: Operator, threshold: number): AssertionResult {
    const base = { assertion: a.text, op: a.op, threshold: a.threshold.kind === "value" ? a.threshold.value : null, unit: "ms" as const };
    const anchor = a.kind === "recovery_time" ? lastFaultEnd(this.timeline) : firstFaultStart(this.timeline);
    const all = (this.#readings.get(m.probe) ?? []).slice().sort((x, y) => x.t - y.t);
    const cond = `${describeMeasure(m)} ${op} ${threshold}`;
    if (anchor === undefined) return { ...base, observed: null, samples: 0, verdict: "INCONCLUSIVE", note: a.kind === "recovery_time" && this.timeline.faults.some((f) => f.end === null) ? "a fault was never rolled back" : "no fault was applied" };
    const after = all.filter((r) => r.t >= anchor);
    const holds = (r: ProbeReading): boolean | undefined => {
      const v = readingValue(r, m.labels);
      return v === null ? undefined : compare(v, op, threshold);
    };
    if (a.kind === "time_to_detect") {
      const before = all.filter((r) => r.t < anchor && r.error === undefined).at(-1);
      if (before && holds(before) === true) return { ...base, observed: null, samples: after.length, verdict: "INCONCLUSIVE", note: `${cond} held already before the first fault started (at ${readingTime(before, this.timeline)}): nothing to detect` };
      for (const r of after) {
        if (r.error !== undefined) return { ...base, observed: null, samples: after.length, verdict: "INCONCLUSIVE", note: `probe ${m.probe} could not be read ${formatDuration(r.t - anchor)} after the first fault started (${r.error}); the detection may have come then` };
        if (holds(r) === true) {
          const observed = round(r.t - anchor);
          return { ...base, observed, samples: after.length, verdict: compare(observed, a.op, base.threshold!) ? "PASS" : "FAIL", note: `${cond} first held ${formatDuration(observed)} after the first fault started` };
        }
      }
      if (after.length === 0) return { ...base, observed: null, samples: 0, verdict: "INCONCLUSIVE", note: `probe ${m.probe} has no readings after the first fault started` };
      // A series that never appeared may be a selector that names nothing: not heard, not "did not notice".
      const valued = after.filter((r) => holds(r) !== undefined).length;
      if (valued === 0) return { ...base, observed: null, samples: after.length, verdict: "INCONCLUSIVE", note: `no series${m.labels ? ` matching {${Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(", ")}}` : ""} in ${after.length} readings of probe ${m.probe} after the first fault started` };
      return { ...base, observed: null, samples: after.length, verdict: "FAIL", note: `${cond} never held in ${valued} readings after the first fault started: the system did not notice` };
    }
    const unheard = after.find((r) => r.error !== undefined);
    if (unheard) return { ...base, observed: null, samples: after.length, verdict: "INCONCLUSIVE", note: `probe ${m.probe} could not be read ${formatDuration(unheard.t - anchor)} after the last fault ended: ${unheard.error}` };
    let recoveredAt: number | null = null;
    let judged = false;
    for (const r of after) {
      const ok = holds(r);
      if (ok === undefined) continue;
      judged = true;
      if (!ok) recoveredAt = null;
      else recoveredAt ??= r.t;
    }
    if (!judged) return { ...base, observed: null, samples: after.length, verdict: "INCONCLUSIVE", note: `probe ${m.probe} has no readings of ${cond} after the last fault ended` };
    if (recoveredAt === null) return { ...base, observed: null, samples: after.length, verdict: "FAIL", note: `${cond} did not hold by the last reading` };
    const observed = round(recoveredAt - anchor);
    return { ...base, observed, samples: after.length, verdict: compare(observed, a.op, base.threshold!) ? "PASS" : "FAIL", note: `${cond} held from ${formatDuration(observed)} after the last fault ended` };
  }

  /** The threshold in the measure's unit, and the baseline behind it when relative. */
  #threshold(c: Condition, hypothesis: number): { value: number | null; baseline?: AssertionResult["baseline"] } {
    if (c.threshold.kind === "value") return { value: c.threshold.value };
    const tally = this.#baseline.get(this.#baselineKey(hypothesis, c.measure));
    let observed: number | null;
    let window: string;
    if (this.stored) {
      const h = this.#hypotheses[hypothesis]!.h;
      observed = tally?.observe(windowDuration(h.window, this.stored.timeline)).value ?? null;
      window = `${h.during} of run ${this.stored.name}`;
    } else {
      const phase = this.#baselinePhase;
      observed = tally?.observe(phase ? phase.end - phase.start : 0).value ?? null;
      window = phase?.name ?? "-";
    }
    return { value: observed === null ? null : round(observed * c.threshold.factor), baseline: { value: observed, factor: c.threshold.factor, window } };
  }

  #score(slot: Slot, hs: HypothesisScorer, durationMs: number, hypothesis: number): AssertionResult {
    const a = slot.assertion;
    if (a.kind === "measure" && a.measure.kind === "probe") return this.#scoreProbe(a.text, a.measure, a.op, (a.threshold as { value: number }).value, hs.h.window);
    if (a.kind !== "measure" && a.condition?.measure.kind === "probe") return this.#scoreProbeTime(a, a.condition.measure, a.condition.op, (a.condition.threshold as { value: number }).value);
    if (a.kind === "measure") {
      let observation = hs.tallies.get(key(a.measure))!.observe(durationMs);
      if (a.measure.kind === "burn_rate" && slot.seconds && durationMs > a.measure.windowMs) {
        const w = Math.max(1, Math.round(a.measure.windowMs / 1000));
        let worst: Observation | undefined;
        for (let k = w; k * 1000 <= durationMs; k++) {
          const o = slot.seconds.observe(a.measure, k - w, k);
          if (o.value !== null && (worst === undefined || o.value > worst.value!)) worst = o;
        }
        if (worst) observation = worst;
      }
      const threshold = this.#threshold(a, hypothesis);
      const result = judge(observation, a.op, threshold.value, a.measure);
      return { assertion: a.text, observed: observation.value, op: a.op, threshold: threshold.value, unit: a.unit, samples: observation.samples, ...(observation.ci ? { ci: observation.ci } : {}), ...(threshold.baseline ? { baseline: threshold.baseline } : {}), ...result, ...minimum(result, observation, a.measure, hs.h.minSamples) };
    }
    const base = { assertion: a.text, op: a.op, threshold: a.threshold.kind === "value" ? a.threshold.value : null, unit: "ms" as const };
    const seconds = slot.seconds!;
    const anchor = seconds.anchor();
    if (anchor === undefined) {
      const why = a.kind === "recovery_time" ? (this.timeline.faults.some((f) => f.end === null) ? "a fault was never rolled back" : "no fault was applied") : "no fault was applied";
      return { ...base, observed: null, samples: 0, verdict: "INCONCLUSIVE", note: why };
    }
    const windowS = Math.max(1, Math.round(a.windowMs / 1000));
    // Evaluated at each whole second after the anchor, on the `window` seconds before it.
    const lastSecond = Math.floor((this.timeline.end - anchor) / 1000);
    const conditions = slot.watched ?? [a.condition!];
    const thresholds = conditions.map((c) => this.#threshold(c, hypothesis).value);
    /** At second k: true/false when the condition could be judged, undefined when there was nothing to judge. */
    const holds = (c: Condition, threshold: number | null, k: number): boolean | undefined => {
      const o = seconds.observe(c.measure, k - windowS, k);
      if (o.value === null || threshold === null) return undefined;
      return compare(o.value, c.op, threshold);
    };
    let samples = 0;
    for (let k = 1; k <= lastSecond; k++) samples += seconds.observe(conditions[0]!.measure, k - 1, k).requests;
    if (a.kind === "recovery_time") {
      const c = conditions[0]!;
      let recoveredAt: number | null = null;
      let judged = false;
      for (let k = 1; k <= lastSecond; k++) {
        const ok = holds(c, thresholds[0]!, k);
        if (ok === undefined) continue;
        judged = true;
        if (!ok) recoveredAt = null;
        else recoveredAt ??= k;
      }
      if (!judged) return { ...base, observed: null, samples, verdict: "INCONCLUSIVE", note: "no samples after the fault ended" };
      if (recoveredAt === null) return { ...base, observed: null, samples, verdict: "FAIL", note: `${describeCondition(c)} did not hold by the end of the run` };
      const observed = recoveredAt * 1000;
      return { ...base, observed, samples, verdict: compare(observed, a.op, base.threshold!) ? "PASS" : "FAIL", note: `${describeCondition(c)} held from ${recoveredAt} s after the last fault ended` };
    }
    for (let k = 1; k <= lastSecond; k++) {
      const detected = a.condition ? holds(a.condition, thresholds[0]!, k) === true : conditions.some((c, i) => holds(c, thresholds[i]!, k) === false);
      if (detected) {
        const observed = k * 1000;
        return { ...base, observed, samples, verdict: compare(observed, a.op, base.threshold!) ? "PASS" : "FAIL", note: `${a.condition ? describeCondition(a.condition) : "an SLO of this hypothesis was breached"} ${k} s after the first fault started` };
      }
    }
    if (samples === 0) return { ...base, observed: null, samples, verdict: "INCONCLUSIVE", note: "no samples after the fault started" };
    return { ...base, observed: null, samples, verdict: "FAIL", note: a.condition ? `${describeCondition(a.condition)} never held` : "no SLO of this hypothesis was breached: the fault went unnoticed" };
  }
}

/**
 * PASS/FAIL from the value, INCONCLUSIVE when the 95% confidence interval of a percentile or a rate
 * straddles the threshold: a verdict must hold for the system, not only for the requests this run drew.
 */
export function judge(o: Observation, op: Operator, threshold: number | null, measure: Measure): Pick<AssertionResult, "verdict" | "note"> {
  if (threshold === null) return { verdict: "INCONCLUSIVE", note: "the baseline window has no value to compare with" };
  if (o.value === null) {
    // Requests succeeded, but none of them carries this latency: it was not measured, so nothing can be said.
    if (measure.kind === "latency" && o.unmeasured) return { verdict: "INCONCLUSIVE", note: `none of the successful requests carries ${measure.metric} (not measured for them)` };
    if (measure.kind === "cost" && o.unmeasured) return { verdict: "INCONCLUSIVE", note: "some answered requests have no price: their model is not in prices:, or the results carry no token counts (k6)" };
    if (measure.kind === "retry_amplification" && o.unmeasured) return { verdict: "INCONCLUSIVE", note: "the target reported no upstream attempts (the x-aire-attempts header of the reference gateway)" };
    // Requests were sent but none succeeded: users saw no latency because they saw no answer.
    if (measure.kind === "latency" && o.requests > 0) return { verdict: "FAIL", note: "no successful request to measure" };
    return { verdict: "INCONCLUSIVE", note: "no samples" };
  }
  const pass = compare(o.value, op, threshold);
  if (measure.kind !== "latency") return o.ci ? judgeRate(o.value, o.ci as [number, number], o.samples, op, threshold) : { verdict: pass ? "PASS" : "FAIL" };
  if (!o.ci || op === "==") return { verdict: pass ? "PASS" : "FAIL" };
  const [lo, hi] = o.ci;
  const upper = op === "<" || op === "<=";
  // The bound that must also pass for a PASS, and the one that must also fail for a FAIL.
  const passBound = upper ? hi : lo;
  const failBound = upper ? lo : hi;
  if (pass && passBound !== null && compare(passBound, op, threshold)) return { verdict: "PASS" };
  if (!pass && failBound !== null && !compare(failBound, op, threshold)) return { verdict: "FAIL" };
  const fmt = (v: number | null) => (v === null ? "unbounded" : formatDuration(v));
  return { verdict: "INCONCLUSIVE", note: `the 95% confidence interval [${fmt(lo)}, ${fmt(hi)}] straddles the threshold ${formatDuration(threshold)}${hi === null ? `: ${o.samples} samples cannot bound ${measure.stat} from above` : ""}` };
}

/** A filtered measure needs the samples itself: a tenant that sent little proves little. */
function minimum(result: Pick<AssertionResult, "verdict">, o: Observation, measure: Measure, minSamples: number): Partial<AssertionResult> {
  if (!measure.scope || result.verdict !== "PASS" || o.requests >= minSamples) return {};
  return { verdict: "INCONCLUSIVE", note: `${o.requests} samples for ${describeMeasure(measure)}, fewer than the ${minSamples} required` };
}

function describeCondition(c: Condition): string {
  const t = c.threshold.kind === "baseline" ? `${c.threshold.factor} * baseline` : String(c.threshold.value);
  return `${describeMeasure(c.measure)} ${c.op} ${t}`;
}

/**
 * Which samples a window scores. A phase holds the requests due in it, except those still in
 * flight when a fault of another phase began (the last requests of a baseline, caught by the next
 * phase's fault): they say nothing about this phase, and are counted as `excluded`.
 */
function windowFilter(window: WindowSpec, timeline: Timeline): (s: Sample) => boolean {
  switch (window.kind) {
    case "phase": {
      const phase = timeline.phases.find((p) => p.name === window.phase);
      const foreign = phase ? timeline.faults.filter((f) => !(f.start < phase.end && (f.end ?? timeline.end) > phase.start)) : [];
      return (s) => s.phase === window.phase && !foreign.some((f) => s.scheduledAt < (f.end ?? timeline.end) && s.scheduledAt + s.e2e > f.start);
    }
    case "run": return () => true;
    case "fault": {
      const spans = faultSpans(timeline);
      return (s) => spans.some((f) => s.scheduledAt >= f.start && s.scheduledAt < f.end);
    }
    case "after": {
      const end = lastFaultEnd(timeline);
      return (s) => end !== undefined && s.scheduledAt >= end + window.delayMs;
    }
  }
}

/** Which reading times (the samples' clock) a window holds. */
function readingWindow(window: WindowSpec, timeline: Timeline): (t: number) => boolean {
  switch (window.kind) {
    case "phase": {
      const p = timeline.phases.find((x) => x.name === window.phase);
      return (t) => p !== undefined && t >= p.start && t < p.end;
    }
    case "run": return () => true;
    case "fault": {
      const spans = faultSpans(timeline);
      return (t) => spans.some((f) => t >= f.start && t < f.end);
    }
    case "after": {
      const end = lastFaultEnd(timeline);
      return (t) => end !== undefined && t >= end + window.delayMs;
    }
  }
}

/** When a reading was taken, as reports say it: `+12.3s` into the traffic, or before/after it. */
function readingTime(r: ProbeReading, timeline: Timeline): string {
  if (r.moment === "before") return "the reading before the traffic";
  if (r.moment === "after") return "the reading after the traffic";
  const phase = timeline.phases.find((p) => r.t >= p.start && r.t < p.end);
  return `${formatDuration(Math.max(0, r.t))}${phase ? ` (phase ${phase.name})` : ""}`;
}

/** Where the window begins (for a fault window, when the first fault began). */
function windowStart(window: WindowSpec, timeline: Timeline): number | undefined {
  switch (window.kind) {
    case "phase": return timeline.phases.find((x) => x.name === window.phase)?.start;
    case "run": return 0;
    case "fault": return firstFaultStart(timeline);
    case "after": {
      const end = lastFaultEnd(timeline);
      return end === undefined ? undefined : end + window.delayMs;
    }
  }
}

function windowDuration(window: WindowSpec, timeline: Timeline): number {
  switch (window.kind) {
    case "phase": {
      const p = timeline.phases.find((x) => x.name === window.phase);
      return p ? p.end - p.start : 0;
    }
    case "run": return timeline.end;
    case "fault": return faultSpans(timeline).reduce((sum, f) => sum + (f.end - f.start), 0);
    case "after": {
      const end = lastFaultEnd(timeline);
      return end === undefined ? 0 : Math.max(0, timeline.end - end - window.delayMs);
    }
  }
}

/** The union of the fault activations, as disjoint spans (a fault never rolled back lasts to the end). */
export function faultSpans(timeline: Timeline): { start: number; end: number }[] {
  const spans = timeline.faults.map((f) => ({ start: f.start, end: f.end ?? timeline.end })).sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

function lastFaultEnd(timeline: Timeline): number | undefined {
  if (timeline.faults.length === 0 || timeline.faults.some((f) => f.end === null)) return undefined;
  return Math.max(...timeline.faults.map((f) => f.end!));
}

function firstFaultStart(timeline: Timeline): number | undefined {
  return timeline.faults.length === 0 ? undefined : Math.min(...timeline.faults.map((f) => f.start));
}

const round = (v: number) => Math.round(v * 1000) / 1000;
