/**
 * Load shedding: at most `maxInFlight` requests are served at once; up to `maxQueue` more wait in
 * FIFO order for at most `queueTimeoutMs`; anything beyond is refused at once, so an overloaded
 * gateway answers a fast 503 instead of a slow one.
 * @module
 */
import type { Cancellation } from "../abort.js";

export type Admission = { ok: true; release: () => void } | { ok: false; reason: "queue_full" | "queue_timeout" | "aborted" };

interface Waiter {
  resolve: (a: Admission) => void;
  timer: NodeJS.Timeout;
  signal: Cancellation;
  onAbort: () => void;
}

export class ConcurrencyLimiter {
  #inFlight = 0;
  readonly #queue: Waiter[] = [];
  #queueHead = 0;

  constructor(private readonly config: { maxInFlight: number; maxQueue: number; queueTimeoutMs: number }) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Resolves synchronously-fast when there is room; otherwise waits in the queue or refuses. */
  acquire(signal: Cancellation): Admission | Promise<Admission> {
    if (this.#inFlight < this.config.maxInFlight && this.queued === 0) {
      this.#inFlight++;
      return { ok: true, release: this.#releaser() };
    }
    if (this.queued >= this.config.maxQueue) return { ok: false, reason: "queue_full" };
    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = {
        resolve,
        signal,
        timer: setTimeout(() => this.#drop(waiter, "queue_timeout"), this.config.queueTimeoutMs),
        onAbort: () => this.#drop(waiter, "aborted"),
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#next();
    };
  }

  #next(): void {
    while (this.#inFlight < this.config.maxInFlight && this.queued > 0) {
      const waiter = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Waiter;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      this.#settle(waiter);
      this.#inFlight++;
      waiter.resolve({ ok: true, release: this.#releaser() });
    }
  }

  #drop(waiter: Waiter, reason: "queue_timeout" | "aborted"): void {
    const i = this.#queue.indexOf(waiter, this.#queueHead);
    if (i < 0) return;
    this.#queue.splice(i, 1);
    this.#settle(waiter);
    waiter.resolve({ ok: false, reason });
  }

  #settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiter.signal.removeEventListener("abort", waiter.onAbort);
  }
}
