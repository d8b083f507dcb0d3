/**
 * The open-loop scheduler: each request is sent when it is due, whatever the earlier ones are doing,
 * and however late a timer fired everything due is sent at once (never "catch up later"). Requests
 * are planned a few milliseconds ahead, so that sending costs only the send. On a game day's phase
 * clock (phase-clock.ts) a facilitator's action re-times the requests planned ahead, and a time of
 * Infinity (held at a rate of 0) waits for the next action.
 * @module
 */
import type { RequestPlan } from "./request.js";

export interface OpenLoop<T = number> {
  /** performance.now() at which offset 0 is due. */
  start: number;
  /** The next request to come, not taken yet; undefined when there is none (now). */
  peek(): T | undefined;
  /** Moves past the request `peek` gave. */
  take(): void;
  /** A request's due offset, ms from start (Infinity: not due until something changes). */
  offsetOf(t: T): number;
  signal: AbortSignal;
  /** False once no more requests may be planned (the run's request limit). */
  mayPlan(): boolean;
  /** Plans the request. */
  plan(t: T): RequestPlan;
  /** Sends a due request, `plan.dispatched` set; must not throw. */
  dispatch(plan: RequestPlan): void;
  /** True once the run has stopped. */
  stopped(): boolean;
  /** A clock a facilitator moves: each change re-times the planned requests (`retime`); `over()` once none can come. */
  clock?: { onChange(listener: () => void): () => void; over(): boolean; endOffset(): number; retime(plan: RequestPlan, t: T): void };
}

/** An iterator, in due order, as `peek`/`take`. */
export function peekable<T>(iterator: Iterator<T>): { peek(): T | undefined; take(): void } {
  let next = iterator.next();
  return { peek: () => (next.done ? undefined : next.value), take: () => void (next = iterator.next()) };
}

/** Resolves when every request has been dispatched, or the run stopped. */
export function openLoop<T>(loop: OpenLoop<T>): Promise<void> {
  return new Promise<void>((resolve) => {
    const { start, signal, clock } = loop;
    // Requests built ahead, in due order: those due within the next few ms.
    const ahead: { plan: RequestPlan; entry: T }[] = [];
    const buildAhead = (horizon: number) => {
      for (;;) {
        if (ahead.length >= 256 || !loop.mayPlan()) return;
        const entry = loop.peek();
        if (entry === undefined) return;
        const offset = loop.offsetOf(entry);
        if (!Number.isFinite(offset) || (ahead.length > 0 && start + offset > horizon)) return;
        ahead.push({ plan: loop.plan(entry), entry });
        loop.take();
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let lastDue = Number.NEGATIVE_INFINITY;
    const unsubscribe = clock?.onChange(() => {
      // The requests planned ahead are due when the changed clock says (and those past its end never).
      for (const a of ahead) clock.retime(a.plan, a.entry);
      const end = start + clock.endOffset();
      for (let i = ahead.length - 1; i >= 0; i--) if (!(ahead[i]!.plan.scheduled < end)) ahead.splice(i, 1);
      ahead.sort((a, b) => a.plan.scheduled - b.plan.scheduled);
      clearTimeout(timer);
      clearImmediate(immediate);
      immediate = setImmediate(tick);
    });
    const finish = () => {
      clearTimeout(timer);
      clearImmediate(immediate);
      unsubscribe?.();
      signal.removeEventListener("abort", finish);
      resolve();
    };
    signal.addEventListener("abort", finish, { once: true });
    const tick = () => {
      timer = undefined;
      immediate = undefined;
      const now = performance.now();
      buildAhead(now);
      // Send everything that is due, however late this timer fired: open loop, never "catch up later".
      while (ahead.length > 0 && ahead[0]!.plan.scheduled <= now) {
        const { plan } = ahead.shift()!;
        plan.dispatched = performance.now();
        loop.dispatch(plan);
        lastDue = plan.scheduled;
        if (ahead.length === 0) buildAhead(now);
      }
      buildAhead(performance.now() + 5);
      if (loop.stopped()) return finish();
      if (ahead.length === 0) {
        // Nothing more to come, unless a facilitator's action can still bring some: wait for it (or the end).
        if (!clock || clock.over()) return finish();
        const end = start + clock.endOffset();
        if (Number.isFinite(end)) timer = setTimeout(tick, Math.max(1, end - performance.now()));
        return;
      }
      // Node's timers may fire up to ~1 ms early (and the retry then a whole ms late), and a process
      // that sleeps can wake a millisecond or two late on a VM: the timer is set to fire early and
      // the rest is waited out with setImmediate, which yields to I/O. Early by 2 ms when requests
      // are 10 ms apart or more (at most 20% of a core), else only the last millisecond.
      const due = ahead[0]!.plan.scheduled;
      if (!Number.isFinite(due)) return; // held at a rate of 0: the next action wakes the loop
      const wait = due - performance.now();
      const early = due - lastDue >= 10 ? 2 : 1;
      // A timer cannot wait less than 1 ms (Node rounds shorter delays up, and its clock ticks in
      // whole ms): anything due sooner than early + 1 ms is waited out actively.
      if (wait < early + 1) immediate = setImmediate(tick);
      else timer = setTimeout(tick, wait - early);
    };
    if (signal.aborted) return finish();
    timer = setTimeout(tick, Math.max(0, start - performance.now()));
  });
}
