/**
 * The phase clock of a game day: where the run is in its scenario (plan time: the phases' own
 * offsets) at each moment of the traffic (wall time: ms since the traffic started). Without a
 * facilitator's hand the two are the same. A facilitator may
 * - *hold* the current phase: plan time stops until *resume*; the traffic goes on at the rate it
 *   had (the arrival profile at the held point);
 * - *extend* it by a duration: a hold that resumes by itself (extending again lengthens it);
 * - *advance*: the current phase ends now, the next one starts (after the last: the traffic ends);
 * - set the *rate* of the shared arrival (or give it back to the scenario).
 * Each action is at a wall time and changes only what comes after it; replaying the actions on a
 * fresh clock (`PhaseClock.replay`, from `events.jsonl`) gives the same layout to the millisecond.
 * @module
 */
import { HarnessError } from "../base/errors.js";
import type { RateSegment } from "./arrival.js";

/** From wall time `w0` on, plan time is `p0 + speed · (w − w0)`. */
interface Piece {
  w0: number;
  p0: number;
  speed: 0 | 1;
}

export type PhaseAction =
  | { action: "hold"; at: number }
  | { action: "resume"; at: number }
  | { action: "extend"; at: number; ms: number }
  | { action: "advance"; at: number }
  | { action: "rate"; at: number; rate: number | null };

/** A phase where it ran (or will run, as things stand): wall ms; `end` null while it is held. */
export interface PhaseWindow {
  name: string;
  start: number;
  end: number | null;
}

export class PhaseClock {
  readonly phases: readonly { name: string; duration: number }[];
  /** The phases' total, plan ms. */
  readonly total: number;
  /** Bumped by every action: what was computed from the clock before is stale. */
  version = 0;
  readonly actions: PhaseAction[] = [];
  readonly #ends: number[];
  #pieces: Piece[] = [{ w0: 0, p0: 0, speed: 1 }];
  #rates: { w0: number; rate: number | null }[] = [];
  #listeners = new Set<() => void>();

  constructor(phases: readonly { name: string; duration: number }[]) {
    this.phases = phases;
    let end = 0;
    this.#ends = phases.map((p) => (end += p.duration));
    this.total = end;
  }

  /** A clock with these actions applied, in order (`events.jsonl`'s, for the report and the replay). */
  static replay(phases: readonly { name: string; duration: number }[], actions: readonly PhaseAction[]): PhaseClock {
    const clock = new PhaseClock(phases);
    for (const a of actions) clock.apply(a);
    return clock;
  }

  /** Plan time at wall time `w`, at most the total. */
  planAt(w: number): number {
    const p = this.#pieceAt(w);
    return Math.min(this.total, p.p0 + p.speed * (w - p.w0));
  }

  /** The first wall time at which plan time reaches `p`; Infinity while held before it. */
  wallOf(p: number): number {
    const pieces = this.#pieces;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (p <= piece.p0) return piece.w0;
      const next = pieces[i + 1];
      if (piece.speed === 1 && (!next || p < piece.p0 + (next.w0 - piece.w0))) return piece.w0 + (p - piece.p0);
    }
    return Number.POSITIVE_INFINITY;
  }

  /** When the phases end, wall ms (Infinity while held). */
  wallEnd(): number {
    return this.wallOf(this.total);
  }

  /** The phase running at wall time `w` (the last one from its end on). */
  phaseIndexAt(w: number): number {
    const p = this.planAt(w);
    const i = this.#ends.findIndex((end) => p < end);
    return i === -1 ? this.phases.length - 1 : i;
  }

  /** True when plan time stands still at `w` (held, or extended). */
  heldAt(w: number): boolean {
    return this.#pieceAt(w).speed === 0 && this.planAt(w) < this.total;
  }

  /** True when the hold at `w` has no end (a hold, not an extension). */
  heldOpenAt(w: number): boolean {
    return this.heldAt(w) && this.#pieces.at(-1)!.speed === 0;
  }

  /** The shared arrival's rate set by hand at `w` (null: the scenario's). */
  rateAt(w: number): number | null {
    let rate: number | null = null;
    for (const r of this.#rates) if (r.w0 <= w) rate = r.rate;
    return rate;
  }

  /** Every phase's window as things stand. */
  windows(): PhaseWindow[] {
    return this.phases.map((p, i) => {
      const start = this.wallOf(i === 0 ? 0 : this.#ends[i - 1]!);
      const end = this.wallOf(this.#ends[i]!);
      return { name: p.name, start: Number.isFinite(start) ? start : Number.NaN, end: Number.isFinite(end) ? end : null };
    }).filter((w) => !Number.isNaN(w.start));
  }

  /** Why `action` cannot be taken now, or undefined. */
  refusal(a: PhaseAction): string | undefined {
    if (this.planAt(a.at) >= this.total) return "the phases are over";
    const held = this.heldAt(a.at);
    switch (a.action) {
      case "hold":
        return this.heldOpenAt(a.at) ? "the phase is held already" : undefined;
      case "resume":
        return held ? undefined : "the phase is not held";
      case "extend":
        if (!(a.ms > 0)) return "extend by a positive duration";
        return this.heldOpenAt(a.at) ? "the phase is held: resume it, then extend it (or advance)" : undefined;
      case "advance":
        return undefined;
      case "rate":
        return a.rate !== null && !(a.rate >= 0) ? "the rate must be 0/s or more" : undefined;
    }
  }

  /** Takes the action (at its wall time, which is now or later than every earlier one); throws its refusal. */
  apply(a: PhaseAction): void {
    const refused = this.refusal(a);
    if (refused) throw new HarnessError("USAGE", { message: refused });
    const at = a.at;
    const plan = this.planAt(at);
    // What was to come is replaced: an extension's own resume, or the rest of the plan.
    const keep = (pieces: Piece[]) => pieces.filter((p) => p.w0 <= at);
    switch (a.action) {
      case "hold":
        this.#pieces = keep(this.#pieces);
        if (this.#pieceAt(at).speed === 1) this.#pieces.push({ w0: at, p0: plan, speed: 0 });
        break;
      case "resume":
        this.#pieces = [...keep(this.#pieces), { w0: at, p0: plan, speed: 1 }];
        break;
      case "extend": {
        const last = this.#pieces.at(-1)!;
        // Extended already: the resume to come moves later.
        if (last.w0 > at && last.speed === 1) last.w0 += a.ms;
        else this.#pieces.push({ w0: at, p0: plan, speed: 0 }, { w0: at + a.ms, p0: plan, speed: 1 });
        break;
      }
      case "advance": {
        const end = this.#ends[this.phaseIndexAt(at)]!;
        this.#pieces = [...keep(this.#pieces), { w0: at, p0: end, speed: 1 }];
        break;
      }
      case "rate":
        this.#rates.push({ w0: at, rate: a.rate });
        break;
    }
    this.actions.push({ ...a });
    this.version++;
    for (const listener of this.#listeners) listener();
  }

  /**
   * Resolves once plan time reaches `p` (`start`: performance.now() of wall time 0), never early,
   * following every action on the way; rejects with the signal's reason when it aborts first.
   */
  until(start: number, p: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let off = () => {};
      const done = (err?: unknown) => {
        clearTimeout(timer);
        off();
        signal.removeEventListener("abort", onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = () => done(signal.reason);
      const arm = () => {
        clearTimeout(timer);
        const wait = start + this.wallOf(p) - performance.now();
        if (wait <= 0) return done();
        // Held before `p`: the next action re-arms it.
        if (Number.isFinite(wait)) timer = setTimeout(arm, Math.max(1, wait));
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      off = this.onChange(arm);
      arm();
    });
  }

  /** Called after every action; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A rate profile in plan time (the scenario's arrival, `arrivalModel`) as it runs in wall time:
   * shifted by the holds, flat at the held point's rate while held, cut where a phase was advanced,
   * and (`byHand`: the shared arrival) the rate set by hand where there is one. Ends at `wallEnd()`
   * (a last segment to Infinity while held).
   */
  wallProfile(plan: readonly RateSegment[], byHand: boolean): RateSegment[] {
    const end = this.wallEnd();
    const cuts = [...new Set([0, ...this.#pieces.map((p) => p.w0), ...(byHand ? this.#rates.map((r) => r.w0) : [])])].filter((w) => w < end).sort((a, b) => a - b);
    const out: RateSegment[] = [];
    cuts.forEach((a, i) => {
      const b = Math.min(cuts[i + 1] ?? end, end);
      if (b <= a) return;
      const set = byHand ? this.rateAt(a) : null;
      const piece = this.#pieceAt(a);
      if (set !== null) return void out.push({ start: a, end: b, r0: set, r1: set });
      const pa = piece.p0 + piece.speed * (a - piece.w0);
      if (piece.speed === 0) {
        const r = rateIn(plan, pa);
        return void out.push({ start: a, end: b, r0: r, r1: r });
      }
      const pb = pa + (b - a);
      for (const s of plan) {
        const from = Math.max(s.start, pa);
        const to = Math.min(s.end, pb);
        if (to <= from) continue;
        if (from === s.start && to === s.end && a === pa) out.push(s);
        else out.push({ start: from - pa + a, end: to - pa + a, r0: rateIn([s], from), r1: rateIn([s], to) });
      }
    });
    return out;
  }

  #pieceAt(w: number): Piece {
    let found = this.#pieces[0]!;
    for (const p of this.#pieces) if (p.w0 <= w) found = p;
    return found;
  }
}

/** The rate (per second) of a profile at `t`; past its end, its last rate. */
function rateIn(segments: readonly RateSegment[], t: number): number {
  const s = segments.find((x) => t < x.end) ?? segments.at(-1);
  if (!s) return 0;
  if (s.end <= s.start || s.r0 === s.r1) return s.r0;
  return s.r0 + ((s.r1 - s.r0) * (Math.min(Math.max(t, s.start), s.end) - s.start)) / (s.end - s.start);
}
