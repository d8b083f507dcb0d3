/**
 * `events.jsonl`: the run's ledger. Each event is written with a synchronous append before the
 * action it announces, so a crash or SIGKILL leaves a truthful record of what was applied.
 * @module
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

export type EventType =
  | "run_start" | "stack_start" | "component_ready" | "sweep" | "fault_lost" | "warmup" | "traffic_start" | "phase_start" | "phase_end"
  | "fault_apply" | "fault_applied" | "fault_apply_failed" | "fault_revert" | "fault_reverted" | "fault_revert_failed"
  | "pod_kill" | "pod_kill_failed" | "k8s_pod_kill" | "k8s_pods_recovered" | "k8s_pods_not_recovered" | "k8s_watch_failed" | "interrupt" | "abort" | "traffic_end" | "component_stop" | "run_status" | "run_end" | "error";

export class EventLog implements Disposable {
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
