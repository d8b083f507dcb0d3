/**
 * Receives every sample: appends it to `samples.jsonl` as it completes and aggregates it into the
 * window of its phase and the whole run.
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Sample } from "../metrics/sample.js";
import { WindowStats } from "../metrics/window-stats.js";

export class Recorder {
  readonly windows = new Map<string, WindowStats>();
  readonly run = new WindowStats();
  readonly #out: WriteStream;

  constructor(path: string, phases: readonly string[]) {
    this.#out = createWriteStream(path, { flags: "a" });
    for (const phase of phases) this.windows.set(phase, new WindowStats());
  }

  record(sample: Sample): void {
    const { gaps, ...line } = sample;
    this.#out.write(`${JSON.stringify(line)}\n`);
    this.windows.get(sample.phase)?.add(sample);
    this.run.add(sample);
  }

  async close(): Promise<void> {
    this.#out.end();
    await once(this.#out, "close");
  }
}
