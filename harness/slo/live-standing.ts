/**
 * Each hypothesis's standing while the run goes (the game-day console): its request assertions
 * measured over the part of its window that has happened, with the same tallies, thresholds and
 * confidence intervals as the final score — **on track** (it would pass now), **at risk** (it
 * would pass but within 10% of its threshold, or the samples cannot decide yet), **failing** (it
 * would fail now), **waiting** (its window has not begun). Windows are counted in whole seconds
 * of the samples' clock (a request belongs to the second it was due in; a phase window holds the
 * requests due in that phase), so the live value can differ slightly from the final one, which is
 * scored per request and leaves out a phase's requests caught by another phase's fault.
 * `recovery_time`, `time_to_detect`, probe assertions and baselines from a stored run are scored
 * at the end only.
 * @module
 */
import type { Sample } from "../metrics/sample.js";
import { compare, type Measure, type Operator, type Unit } from "./expression.js";
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

/** The run so far on the samples' clock: phases as they are planned (or ran), each fault's span (`end` null: still in place). */
export interface LiveTimeline {
  phases: readonly { name: string; start: number; end: number }[];
  faults: readonly { start: number; end: number | null }[];
  now: number;
}

interface Kept {
  measure: Measure;
  bySecond: Map<number, Tally>;
  byPhase: Map<string, Tally>;
}

const RANK: Record<Standing, number> = { "at the end": 0, waiting: 1, "on track": 2, "at risk": 3, failing: 4 };
/** How close to its threshold a passing value is "at risk". */
const MARGIN = 0.1;

export class LiveStanding {
  readonly #kept = new Map<string, Kept>();

  constructor(readonly hypotheses: readonly HypothesisInput[], readonly baselinePhase: string | undefined) {
    for (const h of hypotheses)
      for (const a of h.expect)
        if (a.kind === "measure" && a.measure.kind !== "probe") {
          const k = JSON.stringify(a.measure);
          if (!this.#kept.has(k)) this.#kept.set(k, { measure: a.measure, bySecond: new Map(), byPhase: new Map() });
        }
  }

  add(sample: Sample): void {
    const second = Math.max(0, Math.floor(sample.scheduledAt / 1000));
    for (const kept of this.#kept.values()) {
      let s = kept.bySecond.get(second);
      if (!s) kept.bySecond.set(second, (s = new Tally(kept.measure)));
      s.add(sample);
      let p = kept.byPhase.get(sample.phase);
      if (!p) kept.byPhase.set(sample.phase, (p = new Tally(kept.measure)));
      p.add(sample);
    }
  }

  /** Every hypothesis's standing at `timeline.now`. */
  standings(timeline: LiveTimeline): HypothesisStanding[] {
    return this.hypotheses.map((h) => {
      const window = this.#window(h, timeline);
      const assertions = h.expect.map((a): AssertionStanding => {
        const base = { assertion: a.text, op: a.op, threshold: a.threshold.kind === "value" ? a.threshold.value : null, unit: a.unit, observed: null, samples: 0 };
        if (a.kind !== "measure" || a.measure.kind === "probe" || (a.threshold.kind === "baseline" && this.baselinePhase === undefined)) return { ...base, standing: "at the end", note: "scored when the run ends" };
        if (!window) return { ...base, standing: "waiting", note: "its window has not begun" };
        const tally = window.tally(JSON.stringify(a.measure));
        const o = tally.observe(window.durationMs);
        let threshold: number | null = a.threshold.kind === "value" ? a.threshold.value : null;
        if (a.threshold.kind === "baseline") {
          const b = this.#kept.get(JSON.stringify(a.measure))!.byPhase.get(this.baselinePhase!);
          const phase = timeline.phases.find((p) => p.name === this.baselinePhase);
          const v = b && phase ? b.observe(Math.min(phase.end, timeline.now) - phase.start).value : null;
          threshold = v === null ? null : Math.round(v * a.threshold.factor * 1000) / 1000;
        }
        const judged = judge(o, a.op, threshold, a.measure);
        const shown = { ...base, threshold, observed: o.value, samples: o.samples };
        if (judged.verdict === "FAIL") return { ...shown, standing: "failing", ...(judged.note ? { note: judged.note } : {}) };
        if (o.value === null || threshold === null) return { ...shown, standing: "waiting", note: judged.note ?? "nothing measured yet" };
        if (judged.verdict === "INCONCLUSIVE") return { ...shown, standing: "at risk", ...(judged.note ? { note: judged.note } : {}) };
        return near(o.value, a.op, threshold) ? { ...shown, standing: "at risk", note: `within ${MARGIN * 100}% of the threshold` } : { ...shown, standing: "on track" };
      });
      const samples = window ? window.tally(undefined).total : 0;
      let standing = assertions.reduce<Standing>((worst, a) => (RANK[a.standing] > RANK[worst] ? a.standing : worst), "at the end");
      if (standing === "on track" && samples < h.minSamples) standing = "at risk";
      return { name: h.name, during: h.during, standing, samples, minSamples: h.minSamples, assertions };
    });
  }

  /** The part of the hypothesis's window that has happened: its tallies merged, its length. */
  #window(h: HypothesisInput, tl: LiveTimeline): { tally(k: string | undefined): Tally; durationMs: number } | undefined {
    const w = h.window;
    const fromSeconds = (from: number, to: number) => {
      const seconds: number[] = [];
      for (let s = Math.floor(from / 1000); s * 1000 < to; s++) seconds.push(s);
      return seconds;
    };
    let pick: ((kept: Kept) => Tally[]) | undefined;
    let durationMs = 0;
    switch (w.kind) {
      case "phase": {
        const phase = tl.phases.find((p) => p.name === w.phase);
        if (!phase || tl.now < phase.start) return undefined;
        durationMs = Math.min(phase.end, tl.now) - phase.start;
        pick = (kept) => [kept.byPhase.get(w.phase)].filter((t) => t !== undefined);
        break;
      }
      case "run":
        durationMs = tl.now;
        pick = (kept) => [...kept.byPhase.values()];
        break;
      case "fault": {
        if (tl.faults.length === 0) return undefined;
        const spans = tl.faults.map((f) => ({ start: f.start, end: f.end ?? tl.now }));
        const seconds = new Set(spans.flatMap((f) => fromSeconds(f.start, f.end)));
        durationMs = seconds.size * 1000;
        pick = (kept) => [...seconds].flatMap((s) => kept.bySecond.get(s) ?? []);
        break;
      }
      case "after": {
        if (tl.faults.length === 0 || tl.faults.some((f) => f.end === null)) return undefined;
        const from = Math.max(...tl.faults.map((f) => f.end!)) + w.delayMs;
        if (tl.now < from) return undefined;
        const seconds = fromSeconds(from, tl.now);
        durationMs = tl.now - from;
        pick = (kept) => seconds.flatMap((s) => kept.bySecond.get(s) ?? []);
        break;
      }
    }
    const merged = new Map<string, Tally>();
    const tally = (k: string | undefined): Tally => {
      // Without a measure: the requests in the window (any measure's tally counts them, unscoped).
      const key = k ?? [...this.#kept.keys()].find((x) => this.#kept.get(x)!.measure.scope === undefined) ?? [...this.#kept.keys()][0];
      if (key === undefined) return new Tally({ kind: "throughput" });
      let t = merged.get(key);
      if (!t) {
        const kept = this.#kept.get(key)!;
        t = new Tally(kept.measure);
        for (const part of pick!(kept)) t.merge(part);
        merged.set(key, t);
      }
      return t;
    };
    return { tally, durationMs: Math.max(0, durationMs) };
  }
}

function near(value: number, op: Operator, threshold: number): boolean {
  if (op === "==") return false;
  const margin = Math.abs(threshold) * MARGIN;
  return op === "<" || op === "<=" ? !compare(value + margin, op, threshold) : !compare(value - margin, op, threshold);
}
