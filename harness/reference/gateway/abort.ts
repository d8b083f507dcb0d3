/**
 * A cheap stand-in for `AbortController` on the gateway's hot path. Node's AbortController and
 * EventTarget cost microseconds per creation and per listener (a measurable share of a proxied
 * request); this is a flag and a small listener list with the same surface — `aborted`, `reason`,
 * `addEventListener("abort", fn, { once })`, `removeEventListener` — which undici also accepts as
 * a request's `signal`.
 * @module
 */
export interface Cancellation {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export class Abort implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  #listeners: (() => void)[] | undefined;

  abort(reason: unknown = new Error("aborted")): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const fn of listeners) fn();
  }

  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const list = this.#listeners;
    if (!list) return;
    const i = list.lastIndexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  /** This object as a signal (it is its own signal, as undici and the gateway's code read it). */
  get signal(): Cancellation {
    return this;
  }
}
