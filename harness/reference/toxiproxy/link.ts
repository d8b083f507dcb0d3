/**
 * One direction of one proxied connection: source socket → toxic stages → destination socket.
 * As in Toxiproxy, a toxic's stage is restarted (and its toxicity re-rolled) when it is updated,
 * when a toxic is added after it, and when the toxic after it is removed; removal flushes held
 * data at once; removing a `timeout` toxic closes the connection.
 * @module
 */
import type { Socket } from "node:net";
import type { Random } from "../../base/random/prng.js";
import type { LinkControl } from "./stages.js";
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
    this.writeData(chunk.data);
  }
  writeData(data: Buffer): void {
    if (this.#ended || this.dest.destroyed) return;
    if (!this.dest.write(data)) {
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

interface Entry {
  toxic: ToxicRecord;
  stage: Stage;
}

export class Link {
  readonly #entries: Entry[] = [];
  readonly #sink: SocketSink;
  readonly #state = new Map<string, Record<string, number>>();
  #ended = false;

  constructor(
    source: Socket,
    dest: Socket,
    toxics: readonly ToxicRecord[],
    private readonly random: Random,
    private readonly closeConnection: () => void,
  ) {
    this.#sink = new SocketSink(source, dest);
    for (const toxic of toxics) this.#entries.push({ toxic, stage: this.#createStage(toxic, this.#sink) });
    this.#entries.forEach((e, i) => (e.stage.next = this.#entries[i + 1]?.stage ?? this.#sink));
    source.on("data", (data: Buffer) => {
      // No toxics: straight to the socket, without stamping the chunk.
      if (this.#entries.length === 0) this.#sink.writeData(data);
      else this.#entries[0]!.stage.write({ data, time: performance.now() });
    });
    const end = () => {
      if (this.#ended) return;
      this.#ended = true;
      this.#entry().end();
    };
    source.once("end", end);
    source.once("close", end);
    // Once the destination is gone nothing can be delivered: stop every stage, so no timer of a
    // stalled or delaying toxic outlives the connection.
    dest.once("close", () => {
      for (const e of this.#entries) e.stage.interrupt();
    });
  }

  add(toxic: ToxicRecord): void {
    const stage = this.#createStage(toxic, this.#sink);
    const last = this.#entries.at(-1);
    this.#entries.push({ toxic, stage });
    if (last) {
      last.stage.next = stage;
      this.#restart(this.#entries.length - 2);
    }
  }

  remove(name: string): void {
    const i = this.#entries.findIndex((e) => e.toxic.name === name);
    if (i < 0) return;
    const [{ toxic, stage }] = this.#entries.splice(i, 1) as [Entry];
    const previous = this.#entries[i - 1];
    if (previous) previous.stage.next = stage.next;
    stage.interrupt();
    this.#state.delete(name);
    // Data dropped by a timeout toxic left the stream corrupt: Toxiproxy closes the connection.
    if (toxic.type === "timeout") return this.closeConnection();
    if (previous) this.#restart(i - 1);
  }

  /** Restarts a toxic's stage with its new attributes and a new toxicity roll. */
  update(toxic: ToxicRecord): void {
    const i = this.#entries.findIndex((e) => e.toxic.name === toxic.name);
    if (i >= 0) this.#restart(i);
  }

  #restart(i: number): void {
    const entry = this.#entries[i]!;
    const old = entry.stage;
    const stage = this.#createStage(entry.toxic, old.next);
    entry.stage = stage;
    const previous = this.#entries[i - 1];
    if (previous) previous.stage.next = stage;
    old.next = stage;
    old.interrupt();
  }

  #entry(): Receiver {
    return this.#entries[0]?.stage ?? this.#sink;
  }

  #createStage(toxic: ToxicRecord, next: Receiver): Stage {
    // Toxicity is rolled once per connection and stage start, as in Toxiproxy.
    if (!(this.random() < toxic.toxicity)) return new PassStage(next);
    let state = this.#state.get(toxic.name);
    if (!state) this.#state.set(toxic.name, (state = {}));
    const control: LinkControl = { close: this.closeConnection, random: this.random, state };
    return toxicTypes[toxic.type]!.createStage(toxic.attributes, next, control);
  }
}
