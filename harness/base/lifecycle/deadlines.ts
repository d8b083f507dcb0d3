/**
 * Deadlines that all lie the same span after the moment they are set — every attempt of a run
 * has the same client timeout — so they fall due in the order they were set. They are kept in a
 * queue, oldest first, behind one timer, instead of a timer each: setting and clearing one costs
 * two pointer writes, where a Node timer costs a timer object, a closure and a list insertion.
 * At 20,000 requests/s that timer fires about once per span, not 20,000 times per second.
 *
 * A deadline never fires early (Node's timers can fire up to a millisecond early; the queue checks
 * the clock and waits again).
 * @module
 */

/** What a deadline calls when it passes. */
export interface DeadlineTarget {
  onDeadline(): void;
}

/** The handle `add` returns, to clear that deadline. */
export interface Deadline {
  /** @internal */ readonly target: DeadlineTarget;
  /** @internal */ readonly at: number;
  /** @internal */ prev: Deadline | undefined;
  /** @internal */ next: Deadline | undefined;
  /** @internal */ pending: boolean;
}

export class DeadlineQueue {
  readonly #spanMs: number;
  /** The oldest deadline (due first) and the newest. */
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: NodeJS.Timeout | undefined;
  #size = 0;

  constructor(spanMs: number) {
    this.#spanMs = spanMs;
  }

  get size(): number {
    return this.#size;
  }

  /** Calls `target.onDeadline()` `spanMs` from now (performance.now() time) unless it is cleared first. */
  add(target: DeadlineTarget): Deadline {
    const deadline: Deadline = { target, at: performance.now() + this.#spanMs, prev: this.#tail, next: undefined, pending: true };
    if (this.#tail) this.#tail.next = deadline;
    else this.#head = deadline;
    this.#tail = deadline;
    this.#size++;
    // Only the first deadline arms the timer; later ones are due later, and the timer re-arms itself.
    if (this.#timer === undefined) this.#arm(deadline.at);
    return deadline;
  }

  /** Clears the deadline; clearing one that passed or was cleared does nothing. */
  clear(deadline: Deadline): void {
    if (!deadline.pending) return;
    this.#unlink(deadline);
    // An empty queue holds no timer (it would keep the process alive for nothing). Otherwise the
    // timer stays armed for the deadline that was first: when it fires it finds the queue's new
    // head and waits for that.
    if (this.#size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Clears every deadline and the timer. */
  close(): void {
    for (let d = this.#head; d; ) {
      const next = d.next;
      d.pending = false;
      d.prev = d.next = undefined;
      d = next;
    }
    this.#head = this.#tail = undefined;
    this.#size = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #unlink(d: Deadline): void {
    d.pending = false;
    if (d.prev) d.prev.next = d.next;
    else this.#head = d.next;
    if (d.next) d.next.prev = d.prev;
    else this.#tail = d.prev;
    d.prev = d.next = undefined;
    this.#size--;
  }

  #arm(at: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(1, at - performance.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    // Unlinked before it is called: a target may add or clear deadlines from its callback.
    while (this.#head && this.#head.at <= now) {
      const due = this.#head;
      this.#unlink(due);
      due.target.onDeadline();
    }
    // A callback that added a deadline armed the timer for it; the head may be due before it.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#head) this.#arm(this.#head.at);
  };
}
