/**
 * `events.jsonl`: the run's ledger. Each event is written with a synchronous append before the
 * action it announces, so a crash or SIGKILL leaves a truthful record of what was applied.
 * @module
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

import type { EventSink, EventType } from "../base/events.js";

export type { EventSink, EventType } from "../base/events.js";

export class EventLog implements EventSink, Disposable {
  #fd: number | undefined;
  readonly #origin: number;

  constructor(readonly path: string, origin = performance.now()) {
    this.#fd = openSync(path, "a");
    this.#origin = origin;
  }

  /** performance.now() of t = 0. */
  get origin(): number {
    return this.#origin;
  }

  /** Appends one event; `durable` also fsyncs (used for fault events). */
  append(type: EventType, data: Record<string, unknown> = {}, durable = false): void {
    if (this.#fd === undefined) return;
    const line = JSON.stringify({ ts: new Date().toISOString(), t: Math.round(performance.now() - this.#origin), type, ...data });
    writeSync(this.#fd, `${line}\n`);
    if (durable) fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
