/**
 * The toxics that process chunks one at a time with waits in between (bandwidth, slicer,
 * slow_close, timeout, reset_peer, limit_data), on a shared base: a queue, interruptible sleeps,
 * and an `interrupt` that flushes whatever is held — data is never dropped on removal, as in
 * Toxiproxy. Semantics follow shared/reference/toxiproxy.md §3.
 * @module
 */
import type { Random } from "../../base/random/prng.js";
import type { Chunk, Receiver, Stage } from "./stage.js";

const END = Symbol("end");

/** What a stage may do to its connection. */
export interface LinkControl {
  /** Closes the whole connection: RST when reset_peer armed linger 0 at connection start, else FIN. */
  close(): void;
  random: Random;
  /** State that survives restarts of the stage on this link (limit_data's byte count). */
  state: Record<string, number>;
}

export abstract class SequentialStage implements Stage {
  readonly #queue: (Chunk | typeof END)[] = [];
  #running = false;
  #interrupted = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Data taken from the queue but not yet emitted (flushed on interrupt). */
  protected held: Buffer | undefined;

  constructor(
    public next: Receiver,
    protected readonly link: LinkControl,
  ) {}

  write(chunk: Chunk): void {
    if (this.#interrupted) return this.next.write(chunk);
    this.#queue.push(chunk);
    void this.#run();
  }

  end(): void {
    if (this.#interrupted) return this.next.end();
    this.#queue.push(END);
    void this.#run();
  }

  interrupt(): void {
    if (this.#interrupted) return;
    this.#interrupted = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    if (this.held && this.held.length > 0) this.next.write({ data: this.held, time: performance.now() });
    this.held = undefined;
    for (const item of this.#queue.splice(0)) item === END ? this.next.end() : this.next.write(item);
  }

  protected get interrupted(): boolean {
    return this.#interrupted;
  }

  /** Waits `ms`; resolves false when interrupted first. */
  protected sleep(ms: number): Promise<boolean> {
    if (this.#interrupted) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#wake = () => resolve(false);
      this.#timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(true);
      }, Math.max(0, ms));
    });
  }

  protected emit(data: Buffer, time: number): void {
    if (data.length > 0) this.next.write({ data, time });
  }

  /** Handles one chunk; must keep `held` up to date while it waits. */
  protected abstract process(chunk: Chunk): Promise<void>;

  /** Handles the end of input; by default passes it on. */
  protected async finish(): Promise<void> {
    this.next.end();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    while (this.#queue.length > 0 && !this.#interrupted) {
      const item = this.#queue.shift()!;
      if (item === END) await this.finish();
      else await this.process(item);
    }
    this.#running = false;
  }
}

/** `bandwidth` (rate in KB/s, 1 KB = 1000 B): pieces of rate·100 bytes every 100 ms; rate 0 stalls. */
export class BandwidthStage extends SequentialStage {
  #debt = 0;
  constructor(next: Receiver, link: LinkControl, private readonly rate: number) {
    super(next, link);
  }
  protected async process(chunk: Chunk): Promise<void> {
    this.held = chunk.data;
    if (this.rate <= 0) {
      // Toxiproxy sends empty slices every 100 ms for ever: nothing gets through until removal.
      while (await this.sleep(100)) {}
      return;
    }
    this.#debt += chunk.data.length / this.rate;
    const piece = this.rate * 100;
    while (this.held.length > piece) {
      if (!(await this.sleep(100))) return;
      this.emit(this.held.subarray(0, piece), chunk.time);
      this.held = this.held.subarray(piece);
      this.#debt -= 100;
    }
    const started = performance.now();
    if (!(await this.sleep(this.#debt))) return;
    this.#debt -= performance.now() - started;
    this.emit(this.held, chunk.time);
    this.held = undefined;
  }
}

/** `slicer`: splits each chunk around average_size ± size_variation, `delay` µs apart. */
export class SlicerStage extends SequentialStage {
  constructor(next: Receiver, link: LinkControl, private readonly average: number, private readonly variation: number, private readonly delayUs: number) {
    super(next, link);
  }
  #cuts(start: number, end: number, out: number[]): void {
    if (end - start - this.average <= this.variation) return void out.push(end);
    const jitter = this.variation > 0 ? Math.floor(this.link.random() * this.variation * 2) - this.variation : 0;
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + jitter));
    this.#cuts(start, mid, out);
    this.#cuts(mid, end, out);
  }
  protected async process(chunk: Chunk): Promise<void> {
    const cuts: number[] = [];
    this.#cuts(0, chunk.data.length, cuts);
    let from = 0;
    this.held = chunk.data;
    for (const [i, to] of cuts.entries()) {
      if (i > 0 && !(await this.sleep(this.delayUs / 1000))) return;
      this.emit(chunk.data.subarray(from, to), chunk.time);
      from = to;
      this.held = chunk.data.subarray(from);
    }
    this.held = undefined;
  }
}

/** `slow_close`: data passes; the close is delayed by `delay` ms. */
export class SlowCloseStage extends SequentialStage {
  constructor(next: Receiver, link: LinkControl, private readonly delay: number) {
    super(next, link);
  }
  protected async process(chunk: Chunk): Promise<void> {
    this.next.write(chunk);
  }
  protected override async finish(): Promise<void> {
    if (await this.sleep(this.delay)) this.next.end();
  }
}

/** `timeout`: drops all data; closes the connection `timeout` ms after the stage started (0: never). */
export class TimeoutStage extends SequentialStage {
  readonly #timer: NodeJS.Timeout | undefined;
  constructor(next: Receiver, link: LinkControl, timeout: number) {
    super(next, link);
    if (timeout > 0) this.#timer = setTimeout(() => link.close(), timeout);
  }
  protected async process(): Promise<void> {
    // dropped: nothing gets through in this direction
  }
  protected override async finish(): Promise<void> {
    clearTimeout(this.#timer);
    this.link.close();
  }
  override interrupt(): void {
    clearTimeout(this.#timer);
    super.interrupt();
  }
}

/** `reset_peer`: on the first chunk, waits `timeout` ms and closes (RST if armed at connection start). */
export class ResetPeerStage extends SequentialStage {
  constructor(next: Receiver, link: LinkControl, private readonly timeout: number) {
    super(next, link);
  }
  protected async process(): Promise<void> {
    if (await this.sleep(this.timeout)) this.link.close();
  }
}

/** `limit_data`: passes `bytes` in all on this link, then closes the connection. */
export class LimitDataStage extends SequentialStage {
  constructor(next: Receiver, link: LinkControl, private readonly bytes: number) {
    super(next, link);
    link.state.passed ??= 0;
  }
  protected async process(chunk: Chunk): Promise<void> {
    const room = Math.max(0, this.bytes - this.link.state.passed!);
    const data = chunk.data.subarray(0, room);
    this.link.state.passed! += data.length;
    this.emit(data, chunk.time);
    if (this.link.state.passed! >= this.bytes) this.link.close();
  }
}
