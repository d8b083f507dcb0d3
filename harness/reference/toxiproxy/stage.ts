/** What a toxic is made of: chunks of data with their arrival time, and the stages they pass through. @module */

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
