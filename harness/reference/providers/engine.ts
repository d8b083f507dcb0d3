/**
 * The GPU serving model of one pod: `slots` sequences decode at once (continuous batching); a
 * request past the slots waits in a bounded FIFO queue; beyond that it is refused. A sequence's
 * decode speed falls as the batch fills:
 *
 *   tokens/s per sequence = decodeTokensPerSec / (1 + batchPenalty · (running − 1))
 *
 * so with the default penalty 0.05 a full batch of 8 decodes each sequence at 74% speed and the pod
 * at 5.9× one sequence's throughput — the shape continuous-batching servers show.
 * @module
 */
import type { BehaviourSet } from "./behaviours.js";

export interface EngineConfig {
  slots: number;
  maxQueue: number;
  batchPenalty: number;
  decodeTokensPerSec: number;
}

export interface Lease {
  /** ms spent waiting in the queue. */
  queuedMs: number;
  release(): void;
}

interface Waiter {
  enqueued: number;
  resolve(lease: Lease): void;
  reject(err: unknown): void;
}

export class PodEngine {
  running = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly config: EngineConfig,
    private readonly behaviours: BehaviourSet,
  ) {}

  get waiting(): number {
    return this.#queue.length;
  }

  /** Slots usable now (slot loss lowers it). */
  get capacity(): number {
    return Math.max(0, this.config.slots - this.behaviours.lostSlots());
  }

  /** A lease on a slot, after queueing if need be; `undefined` when the queue is full. */
  admit(signal: AbortSignal): Promise<Lease> | undefined {
    if (this.running < this.capacity && this.#queue.length === 0) return Promise.resolve(this.#lease(performance.now()));
    if (this.#queue.length >= this.config.maxQueue) return undefined;
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { enqueued: performance.now(), resolve, reject };
      this.#queue.push(waiter);
      signal.addEventListener(
        "abort",
        () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }

  /** ms between two tokens of one sequence now, with the batch as it is and any slowdown. */
  tokenInterval(slowdown = 1): number {
    const perSequence = this.config.decodeTokensPerSec / (1 + this.config.batchPenalty * Math.max(0, this.running - 1));
    return (1000 / perSequence) * slowdown;
  }

  #lease(enqueued: number): Lease {
    this.running++;
    let released = false;
    return {
      queuedMs: performance.now() - enqueued,
      release: () => {
        if (released) return;
        released = true;
        this.running--;
        this.#pump();
      },
    };
  }

  #pump(): void {
    while (this.running < this.capacity && this.#queue.length > 0) {
      const waiter = this.#queue.shift()!;
      waiter.resolve(this.#lease(waiter.enqueued));
    }
  }
}
