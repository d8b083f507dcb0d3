/**
 * The open-loop scheduler: each request is sent when it is due, whatever the earlier ones are doing,
 * and however late a timer fired everything due is sent at once (never "catch up later"). Requests
 * are planned a few milliseconds ahead, so that sending costs only the send.
 * @module
 */
import type { RequestPlan } from "./request.js";

export interface OpenLoop<T = number> {
  /** performance.now() at which offset 0 is due. */
  start: number;
  /** The requests to come, in due order. */
  offsets: Iterator<T>;
  /** A request's due offset, ms from start. */
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
}

/** Resolves when every request has been dispatched, or the run stopped. */
export function openLoop<T>(loop: OpenLoop<T>): Promise<void> {
  return new Promise<void>((resolve) => {
    const { start, offsets, signal } = loop;
    let next = offsets.next();
    // Requests built ahead, in due order: those due within the next few ms.
    const ahead: RequestPlan[] = [];
    const buildAhead = (horizon: number) => {
      while (ahead.length < 256 && loop.mayPlan() && !next.done && (ahead.length === 0 || start + loop.offsetOf(next.value) <= horizon)) {
        ahead.push(loop.plan(next.value));
        next = offsets.next();
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let lastDue = Number.NEGATIVE_INFINITY;
    const finish = () => {
      clearTimeout(timer);
      clearImmediate(immediate);
      signal.removeEventListener("abort", finish);
      resolve();
    };
    signal.addEventListener("abort", finish, { once: true });
    const tick = () => {
      const now = performance.now();
      buildAhead(now);
      // Send everything that is due, however late this timer fired: open loop, never "catch up later".
      while (ahead.length > 0 && ahead[0]!.scheduled <= now) {
        const plan = ahead.shift()!;
        plan.dispatched = performance.now();
        loop.dispatch(plan);
        lastDue = plan.scheduled;
        if (ahead.length === 0) buildAhead(now);
      }
      buildAhead(performance.now() + 5);
      if (ahead.length === 0 || loop.stopped()) return finish();
      // Node's timers may fire up to ~1 ms early (and the retry then a whole ms late), and a process
      // that sleeps can wake a millisecond or two late on a VM: the timer is set to fire early and
      // the rest is waited out with setImmediate, which yields to I/O. Early by 2 ms when requests
      // are 10 ms apart or more (at most 20% of a core), else only the last millisecond.
      const due = ahead[0]!.scheduled;
      const wait = due - performance.now();
      const early = due - lastDue >= 10 ? 2 : 1;
      // A timer cannot wait less than 1 ms (Node rounds shorter delays up, and its clock ticks in
      // whole ms): anything due sooner than early + 1 ms is waited out actively.
      if (wait < early + 1) {
        timer = undefined;
        immediate = setImmediate(tick);
      } else timer = setTimeout(tick, wait - early);
    };
    if (signal.aborted) return finish();
    timer = setTimeout(tick, Math.max(0, start - performance.now()));
  });
}
