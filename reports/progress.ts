/**
 * Live progress while a scenario runs: on a terminal one status line redrawn in place every
 * second; elsewhere (CI logs) a plain line every few seconds. Log lines (phase changes, faults)
 * are printed above the status line, never through it.
 * @module
 */
import { formatDuration } from "../harness/base/units.js";
import type { LiveSnapshot } from "../harness/results/live-stats.js";

export interface ProgressState extends LiveSnapshot {
  phase: string;
  /** 1-based. */
  phaseIndex: number;
  /** A facilitator holds the phase (aire gameday): `totalMs` is the end if it went on now. */
  held?: boolean;
  phases: number;
  elapsedMs: number;
  totalMs: number;
  activeFaults: string[];
}

export function progressLine(p: ProgressState): string {
  const pct = p.errorRate === null ? "–" : `${(p.errorRate * 100).toFixed(p.errorRate === 0 ? 0 : 1)}%`;
  const faults = p.activeFaults.length === 0 ? "none" : p.activeFaults.join("; ");
  return `[${p.phase} ${p.phaseIndex}/${p.phases}${p.held ? ", held" : ""}] ${formatDuration(Math.min(p.elapsedMs, p.totalMs))} of ${formatDuration(p.totalMs)} · ${p.rps.toFixed(1)} req/s · ttft p95 ${p.ttftP95 === null ? "–" : formatDuration(p.ttftP95)} · errors ${pct} · faults: ${faults}`;
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  #status = "";
  #lastPlain = Number.NEGATIVE_INFINITY;

  /** `plainEveryMs`: how often a non-terminal gets a progress line. */
  constructor(readonly out: ProgressOutput, readonly plainEveryMs = 5000) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** A line of the run's log: above the status line on a terminal. */
  log(line: string): void {
    if (this.tty && this.#status) this.out.write(`\r\x1b[K${line}\n${this.#status}`);
    else this.out.write(`${line}\n`);
  }

  update(state: ProgressState, now = performance.now()): void {
    const line = progressLine(state);
    if (this.tty) {
      const width = this.out.columns ?? 120;
      this.#status = line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
      this.out.write(`\r\x1b[K${this.#status}`);
    } else if (now - this.#lastPlain >= this.plainEveryMs) {
      this.#lastPlain = now;
      this.out.write(`progress ${line}\n`);
    }
  }

  /** Clears the status line (the final report follows). */
  done(): void {
    if (this.tty && this.#status) this.out.write("\r\x1b[K");
    this.#status = "";
  }
}
