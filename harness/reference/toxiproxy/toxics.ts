/**
 * The toxic types the embedded Toxiproxy knows: their attributes (as Go declares them) and the
 * stage that applies them to one direction of one connection.
 * @module
 */
import type { Random } from "../../base/random/prng.js";
import { at } from "../../base/lifecycle/sleep.js";
import { BandwidthStage, LimitDataStage, ResetPeerStage, SlicerStage, SlowCloseStage, TimeoutStage, type LinkControl } from "./stages.js";
import type { Attributes, Chunk, Receiver, Stage } from "./stage.js";

export type { Attributes, Chunk, Receiver, Stage } from "./stage.js";

export interface ToxicType {
  /** Go struct name, used in JSON decode error messages. */
  goName: string;
  /** Attribute names, all int64 in the real server. */
  attributes: readonly string[];
  /**
   * Refuses values on which Toxiproxy 2.12 crashes (a deliberate deviation: 400 instead of a dead
   * server). Returns the error message, or undefined when the values are fine.
   */
  validate?(attributes: Attributes): string | undefined;
  createStage(attributes: Attributes, next: Receiver, link: LinkControl): Stage;
}

/** Passes everything straight through (also what a toxic is when its toxicity roll fails). */
export class PassStage implements Stage {
  constructor(public next: Receiver) {}
  write(chunk: Chunk): void {
    this.next.write(chunk);
  }
  end(): void {
    this.next.end();
  }
  interrupt(): void {}
}

const END = Symbol("end");

/**
 * Each chunk is released at its receive time + latency (± jitter), in order: chunks already late
 * are not delayed again, so pipelined writes are not cumulative (as in Toxiproxy).
 */
export class LatencyStage implements Stage {
  readonly #queue: (Chunk | typeof END)[] = [];
  #timer: { clear(): void } | undefined;

  constructor(
    public next: Receiver,
    private readonly latency: number,
    private readonly jitter: number,
    private readonly random: Random,
  ) {}

  write(chunk: Chunk): void {
    this.#queue.push(chunk);
    if (this.#queue.length === 1) this.#pump();
  }

  end(): void {
    this.#queue.push(END);
    if (this.#queue.length === 1) this.#pump();
  }

  interrupt(): void {
    this.#timer?.clear();
    this.#timer = undefined;
    for (const item of this.#queue.splice(0)) item === END ? this.next.end() : this.next.write(item);
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (head === END) {
        this.#queue.shift();
        this.next.end();
        return;
      }
      const delay = this.jitter > 0 ? this.latency + Math.floor(this.random() * 2 * this.jitter) - this.jitter : this.latency;
      const due = head.time + delay;
      if (due > performance.now()) {
        // Never before it is due, as real Toxiproxy: a plain timer can fire a millisecond early.
        this.#timer = at(due, () => {
          this.#timer = undefined;
          const chunk = this.#queue.shift() as Chunk;
          this.next.write({ data: chunk.data, time: due });
          this.#pump();
        });
        return;
      }
      this.#queue.shift();
      this.next.write(head);
    }
  }
}

export const toxicTypes: Record<string, ToxicType> = {
  latency: {
    goName: "LatencyToxic",
    attributes: ["latency", "jitter"],
    createStage: (a, next, link) => new LatencyStage(next, Math.max(0, a.latency ?? 0), Math.max(0, a.jitter ?? 0), link.random),
  },
  bandwidth: {
    goName: "BandwidthToxic",
    attributes: ["rate"],
    validate: (a) => ((a.rate ?? 0) < 0 ? "rate must not be negative (Toxiproxy 2.12 crashes on it; aire refuses it)" : undefined),
    createStage: (a, next, link) => new BandwidthStage(next, link, a.rate ?? 0),
  },
  slow_close: { goName: "SlowCloseToxic", attributes: ["delay"], createStage: (a, next, link) => new SlowCloseStage(next, link, Math.max(0, a.delay ?? 0)) },
  timeout: { goName: "TimeoutToxic", attributes: ["timeout"], createStage: (a, next, link) => new TimeoutStage(next, link, a.timeout ?? 0) },
  reset_peer: { goName: "ResetToxic", attributes: ["timeout"], createStage: (a, next, link) => new ResetPeerStage(next, link, Math.max(0, a.timeout ?? 0)) },
  slicer: {
    goName: "SlicerToxic",
    attributes: ["average_size", "size_variation", "delay"],
    validate: (a) =>
      (a.average_size ?? 0) <= 0
        ? "average_size must be above 0 (Toxiproxy 2.12 crashes on 0; aire refuses it)"
        : (a.size_variation ?? 0) < 0 || (a.size_variation ?? 0) > (a.average_size ?? 0)
          ? "size_variation must be from 0 to average_size (Toxiproxy 2.12 can crash otherwise; aire refuses it)"
          : undefined,
    createStage: (a, next, link) => new SlicerStage(next, link, a.average_size ?? 1, a.size_variation ?? 0, Math.max(0, a.delay ?? 0)),
  },
  limit_data: { goName: "LimitDataToxic", attributes: ["bytes"], createStage: (a, next, link) => new LimitDataStage(next, link, Math.max(0, a.bytes ?? 0)) },
  noop: { goName: "NoopToxic", attributes: [], createStage: (_a, next) => new PassStage(next) },
};
