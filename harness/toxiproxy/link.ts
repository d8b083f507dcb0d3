/**
 * One direction of one proxied connection: source socket → toxic stages → destination socket.
 * Toxics can be added, updated and removed while data flows; removal flushes held data at once.
 * @module
 */
import type { Socket } from "node:net";
import type { Random } from "../random/prng.js";
import { PassStage, toxicTypes, type Chunk, type Receiver, type Stage } from "./toxics.js";
import type { ToxicRecord } from "./toxic-record.js";

/** Writes to the destination socket with backpressure on the source. */
class SocketSink implements Receiver {
  #ended = false;
  constructor(
    private readonly source: Socket,
    private readonly dest: Socket,
  ) {}
  write(chunk: Chunk): void {
    if (this.#ended || this.dest.destroyed) return;
    if (!this.dest.write(chunk.data)) {
      this.source.pause();
      this.dest.once("drain", () => this.source.resume());
    }
  }
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Toxiproxy closes the output fully (not a half-close) when its input ends.
    this.dest.destroySoon();
  }
}

export class Link {
  readonly #stages: { name: string; stage: Stage }[] = [];
  readonly #sink: Receiver;
  #ended = false;

  constructor(
    source: Socket,
    dest: Socket,
    toxics: readonly ToxicRecord[],
    private readonly random: Random,
  ) {
    this.#sink = new SocketSink(source, dest);
    for (const toxic of toxics) this.add(toxic);
    source.on("data", (data: Buffer) => this.#entry().write({ data, time: performance.now() }));
    const end = () => {
      if (this.#ended) return;
      this.#ended = true;
      this.#entry().end();
    };
    source.once("end", end);
    source.once("close", end);
  }

  add(toxic: ToxicRecord): void {
    const last = this.#stages[this.#stages.length - 1];
    const stage = this.#createStage(toxic, this.#sink);
    if (last) last.stage.next = stage;
    this.#stages.push({ name: toxic.name, stage });
  }

  remove(name: string): void {
    const i = this.#stages.findIndex((s) => s.name === name);
    if (i < 0) return;
    const { stage } = this.#stages[i]!;
    const previous = this.#stages[i - 1];
    if (previous) previous.stage.next = stage.next;
    this.#stages.splice(i, 1);
    stage.interrupt();
  }

  /** Restarts a toxic's stage with new attributes (and a new toxicity roll), keeping its place. */
  update(toxic: ToxicRecord): void {
    const i = this.#stages.findIndex((s) => s.name === toxic.name);
    if (i < 0) return;
    const old = this.#stages[i]!.stage;
    const stage = this.#createStage(toxic, old.next);
    const previous = this.#stages[i - 1];
    if (previous) previous.stage.next = stage;
    this.#stages[i] = { name: toxic.name, stage };
    old.next = stage;
    old.interrupt();
  }

  #entry(): Receiver {
    return this.#stages[0]?.stage ?? this.#sink;
  }

  #createStage(toxic: ToxicRecord, next: Receiver): Stage {
    // Toxicity is rolled once per connection and stage start, as in Toxiproxy.
    if (!(this.random() < toxic.toxicity)) return new PassStage(next);
    return toxicTypes[toxic.type]!.createStage(toxic.attributes, next, this.random);
  }
}
