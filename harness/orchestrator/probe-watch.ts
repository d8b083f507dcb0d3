/**
 * Reads the scenario's probes at their moments: `before` and `both` once the stack is warm and
 * before the traffic starts, `continuous` every interval while it runs, `during` every interval
 * while its window (a phase, or any fault) is active, `after` and `both` once the traffic is over
 * and the faults are rolled back (a range query then reads the whole run). Each reading goes to
 * probes.jsonl as it is taken; a probe still waiting for an answer is not asked again.
 * @module
 */
import type { ProbeReading, ReadingMoment } from "../metrics/probe-reading.js";
import { readProbe } from "../probes/read.js";
import type { ProbeSpec } from "../probes/schema.js";

export interface ProbeWatchContext {
  write(reading: ProbeReading): void;
  /** The events' clock (ms since the run started). */
  clock(): number;
  /** A reference stack component's /metrics URL by the name a metrics probe gives. */
  componentUrl?: (component: string) => string | undefined;
  /** Whether a `during` probe's window (a phase's name, or `fault`) is active now. */
  active(window: string): boolean;
}

export class ProbeWatch {
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(readonly probes: readonly ProbeSpec[], readonly ctx: ProbeWatchContext) {}

  async #read(probe: ProbeSpec, moment: ReadingMoment, range?: { startMs: number; endMs: number; toEventsClock: (unixMs: number) => number }): Promise<void> {
    const readings = await readProbe(probe, { at: Math.round(this.ctx.clock()), moment, ...(this.ctx.componentUrl ? { componentUrl: this.ctx.componentUrl } : {}), ...(range ? { range } : {}) });
    for (const r of readings) this.ctx.write(r);
  }

  /** The readings before the traffic (modes before and both), all at once. */
  async before(): Promise<void> {
    await Promise.all(this.probes.filter((p) => p.mode === "before" || p.mode === "both").map((p) => this.#read(p, "before")));
  }

  /** Starts the interval readings (modes continuous and during). */
  start(): void {
    for (const probe of this.probes) {
      if (probe.mode !== "continuous" && probe.mode !== "during") continue;
      const tick = () => {
        if (this.#inFlight.has(probe.name)) return;
        if (probe.mode === "during" && !this.ctx.active(probe.during!)) return;
        const done = this.#read(probe, "during").finally(() => this.#inFlight.delete(probe.name));
        this.#inFlight.set(probe.name, done);
      };
      tick();
      const timer = setInterval(tick, probe.interval);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  /** Stops the interval readings and waits for the answers pending (each bounded by its timeout). */
  async stop(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    await Promise.all(this.#inFlight.values());
  }

  /** The readings after the traffic (modes after and both); a range query reads the run from `startMs` to now (Unix ms). */
  async after(trafficStartUnixMs: number): Promise<void> {
    const offset = Date.now() - this.ctx.clock();
    const range = { startMs: trafficStartUnixMs, endMs: Date.now(), toEventsClock: (unixMs: number) => unixMs - offset };
    await Promise.all(this.probes.filter((p) => p.mode === "after" || p.mode === "both").map((p) => this.#read(p, "after", p.prometheus?.range ? range : undefined)));
  }
}
