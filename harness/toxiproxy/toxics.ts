/**
 * The toxic types the embedded Toxiproxy knows: their attributes (as Go declares them) and the
 * stage that applies them to one direction of one connection.
 * @module
 */
import type { Random } from "../random/prng.js";

/** A piece of data as one `read()` returned it, stamped with when the proxy received it. */
export interface Chunk {
  data: Buffer;
  time: number;
}

/** Where a stage sends what it lets through: the next stage, or the socket on the other side. */
export interface Receiver {
  write(chunk: Chunk): void;
  end(): void;
}

export type Attributes = Record<string, number>;

/** The live toxic applied to one link. `interrupt` flushes what it holds to `next` without delay. */
export interface Stage extends Receiver {
  next: Receiver;
  interrupt(): void;
}

export interface ToxicType {
  /** Go struct name, used in JSON decode error messages. */
  goName: string;
  /** Attribute names, all int64 in the real server. */
  attributes: readonly string[];
  createStage(attributes: Attributes, next: Receiver, random: Random): Stage;
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
  #timer: NodeJS.Timeout | undefined;

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
    clearTimeout(this.#timer);
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
      const wait = head.time + delay - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          const chunk = this.#queue.shift() as Chunk;
          this.next.write({ data: chunk.data, time: chunk.time + delay });
          this.#pump();
        }, wait);
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
    createStage: (a, next, random) => new LatencyStage(next, Math.max(0, a.latency ?? 0), Math.max(0, a.jitter ?? 0), random),
  },
  noop: { goName: "NoopToxic", attributes: [], createStage: (_a, next) => new PassStage(next) },
};
