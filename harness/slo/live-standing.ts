/**
 * Each hypothesis's standing while the run goes (the game-day console): its request assertions
 * measured over the part of its window that has happened, with the same tallies, thresholds and
 * confidence intervals as the final score — **on track** (it would pass now), **at risk** (it
 * would pass but within 10% of its threshold, the samples cannot decide yet, or fewer than
 * `minSamples` so far), **failing** (it would fail now), **waiting** (its window has not begun).
 * Each sample is counted once, when it arrives, in the windows it belongs to by then (a phase's
 * requests, those due while a fault was in place, those due after the last fault ended — reset
 * when another fault starts), so the standing costs a few tallies a sample and nothing a second
 * however long the run. It can differ slightly from the final score, which also leaves out a
 * phase's requests caught by another phase's fault. `recovery_time`, `time_to_detect`, probe
 * assertions and baselines from a stored run are scored at the end only.
 * @module
 */
import type { Sample } from "../metrics/sample.js";
import { compare, type Operator, type Unit } from "./expression.js";
import { judge, type HypothesisInput } from "./score.js";
import { Tally } from "./tally.js";

export type Standing = "waiting" | "on track" | "at risk" | "failing" | "at the end";

export interface AssertionStanding {
  assertion: string;
  standing: Standing;
  observed: number | null;
  op: Operator;
  threshold: number | null;
  unit: Unit;
  samples: number;
  note?: string;
}

export interface HypothesisStanding {
  name: string;
  during: string;
  standing: Standing;
  /** Requests due in the window so far. */
  samples: number;
  minSamples: number;
  assertions: AssertionStanding[];
}

/** A fault's span on the samples' clock (ms since the traffic started); `end` null: still in place. */
export interface LiveFaultSpan {
  start: number;
  end: number | null;
}

/** The run so far: the phases as planned, each fault's span, and now (all ms since the traffic started). */
export interface LiveTimeline {
  phases: readonly { name: string; start: number; end: number }[];
  faults: readonly LiveFaultSpan[];
  now: number;
}

const RANK: Record<Standing, number> = { "at the end": 0, waiting: 1, "on track": 2, "at risk": 3, failing: 4 };
/** How close to its threshold a passing value is "at risk". */
const MARGIN = 0.1;

interface Window {
  h: HypothesisInput;
  /** One tally per request assertion (by its index in `expect`). */
  tallies: Map<number, Tally>;
  requests: number;
  /** An `after` window: the fault end it counts from (its tallies start over when that changes). */
  anchor?: number;
}

/** The last fault's end, or undefined while one is in place (or none has been). */
function lastEnd(faults: readonly LiveFaultSpan[]): number | undefined {
  if (faults.length === 0 || faults.some((f) => f.end === null)) return undefined;
  return Math.max(...faults.map((f) => f.end!));
}

export class LiveStanding {
  readonly #windows: Window[];
  /** The baseline phase's tally of each assertion with a relative threshold, by hypothesis and index. */
  readonly #baseline = new Map<string, Tally>();

  constructor(readonly hypotheses: readonly HypothesisInput[], readonly baselinePhase: string | undefined) {
    this.#windows = hypotheses.map((h, i) => {
      const tallies = new Map<number, Tally>();
      h.expect.forEach((a, j) => {
        if (a.kind !== "measure" || a.measure.kind === "probe") return;
        tallies.set(j, new Tally(a.measure));
        if (a.threshold.kind === "baseline") this.#baseline.set(`${i}:${j}`, new Tally(a.measure));
      });
      return { h, tallies, requests: 0 };
    });
  }

  /** A sample, with the faults' spans as they are known when it arrives. */
  add(sample: Sample, faults: readonly LiveFaultSpan[]): void {
    const t = sample.scheduledAt;
    if (sample.phase === this.baselinePhase) for (const tally of this.#baseline.values()) tally.add(sample);
    for (const w of this.#windows) {
      const spec = w.h.window;
      let inside: boolean;
      switch (spec.kind) {
        case "phase":
          inside = sample.phase === spec.phase;
          break;
        case "run":
          inside = true;
          break;
        case "fault":
          inside = faults.some((f) => t >= f.start && (f.end === null || t < f.end));
          break;
        case "after": {
          const end = lastEnd(faults);
          if (end !== w.anchor) {
            // Another fault came and went: the window after the last one starts over.
            w.anchor = end;
            w.requests = 0;
            for (const [j, tally] of w.tallies) w.tallies.set(j, new Tally(tally.measure));
          }
          inside = end !== undefined && t >= end + spec.delayMs;
          break;
        }
      }
      if (!inside) continue;
      w.requests++;
      for (const tally of w.tallies.values()) tally.add(sample);
    }
  }

  /** Every hypothesis's standing at `timeline.now`. */
  standings(timeline: LiveTimeline): HypothesisStanding[] {
    return this.#windows.map((w, i) => {
      const { h } = w;
      const durationMs = this.#elapsed(w, timeline);
      const assertions = h.expect.map((a, j): AssertionStanding => {
        const base = { assertion: a.text, op: a.op, threshold: a.threshold.kind === "value" ? a.threshold.value : null, unit: a.unit, observed: null, samples: 0 };
        const tally = w.tallies.get(j);
        if (!tally || a.kind !== "measure" || (a.threshold.kind === "baseline" && this.baselinePhase === undefined)) return { ...base, standing: "at the end", note: "scored when the run ends" };
        if (durationMs === undefined) return { ...base, standing: "waiting", note: "its window has not begun" };
        const o = tally.observe(durationMs);
        let threshold: number | null = a.threshold.kind === "value" ? a.threshold.value : null;
        if (a.threshold.kind === "baseline") {
          const phase = timeline.phases.find((p) => p.name === this.baselinePhase);
          const v = phase ? this.#baseline.get(`${i}:${j}`)!.observe(Math.max(0, Math.min(phase.end, timeline.now) - phase.start)).value : null;
          threshold = v === null ? null : Math.round(v * a.threshold.factor * 1000) / 1000;
        }
        const judged = judge(o, a.op, threshold, a.measure);
        const shown = { ...base, threshold, observed: o.value, samples: o.samples };
        if (judged.verdict === "FAIL") return { ...shown, standing: "failing", ...(judged.note ? { note: judged.note } : {}) };
        if (o.value === null || threshold === null) return { ...shown, standing: "waiting", note: judged.note ?? "nothing measured yet" };
        if (judged.verdict === "INCONCLUSIVE") return { ...shown, standing: "at risk", ...(judged.note ? { note: judged.note } : {}) };
        return near(o.value, a.op, threshold) ? { ...shown, standing: "at risk", note: `within ${MARGIN * 100}% of the threshold` } : { ...shown, standing: "on track" };
      });
      let standing = assertions.reduce<Standing>((worst, a) => (RANK[a.standing] > RANK[worst] ? a.standing : worst), "at the end");
      if (standing === "on track" && w.requests < h.minSamples) standing = "at risk";
      return { name: h.name, during: h.during, standing, samples: w.requests, minSamples: h.minSamples, assertions };
    });
  }

  /** How much of the window has happened, ms; undefined before it begins. */
  #elapsed(w: Window, tl: LiveTimeline): number | undefined {
    const spec = w.h.window;
    switch (spec.kind) {
      case "phase": {
        const phase = tl.phases.find((p) => p.name === spec.phase);
        return !phase || tl.now < phase.start ? undefined : Math.min(phase.end, tl.now) - phase.start;
      }
      case "run":
        return tl.now;
      case "fault": {
        if (tl.faults.length === 0) return undefined;
        // The spans merged: time with at least one fault in place.
        const spans = tl.faults.map((f) => ({ start: f.start, end: f.end ?? tl.now })).sort((a, b) => a.start - b.start);
        let total = 0;
        let reach = Number.NEGATIVE_INFINITY;
        for (const s of spans) {
          const from = Math.max(s.start, reach);
          if (s.end > from) total += s.end - from;
          reach = Math.max(reach, s.end);
        }
        return total;
      }
      case "after": {
        const end = lastEnd(tl.faults);
        return end === undefined || tl.now < end + spec.delayMs ? undefined : tl.now - end - spec.delayMs;
      }
    }
  }
}

function near(value: number, op: Operator, threshold: number): boolean {
  if (op === "==") return false;
  const margin = Math.abs(threshold) * MARGIN;
  return op === "<" || op === "<=" ? !compare(value + margin, op, threshold) : !compare(value - margin, op, threshold);
}
