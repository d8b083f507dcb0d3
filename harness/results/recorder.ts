/**
 * `samples.jsonl` as the run goes: each sample priced and appended as it completes. Reports are
 * built afterwards by reading it back into {@link Aggregates} (harness/results/build.ts), so a report
 * rebuilt after a crash is the report the run would have written, and the run does not aggregate
 * twice.
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Sample } from "../metrics/sample.js";
import { TimeSeries } from "../metrics/time-series.js";
import { WindowStats } from "../metrics/window-stats.js";
import type { Pricing } from "../traffic/cost.js";

/** Per phase, per workload and per tenant windows, the whole run, and the 1-second series. */
export class Aggregates {
  readonly windows = new Map<string, WindowStats>();
  readonly run = new WindowStats();
  /** Per phase, then per workload. */
  readonly workloads = new Map<string, Map<string, WindowStats>>();
  /** Per workload over the whole run. */
  readonly runWorkloads = new Map<string, WindowStats>();
  /** Per phase, then per tenant (requests with a tenant only). */
  readonly tenants = new Map<string, Map<string, WindowStats>>();
  readonly runTenants = new Map<string, WindowStats>();
  readonly series = new TimeSeries();

  constructor(phases: readonly string[]) {
    for (const phase of phases) {
      this.windows.set(phase, new WindowStats());
      this.workloads.set(phase, new Map());
      this.tenants.set(phase, new Map());
    }
  }

  add(sample: Sample): void {
    this.windows.get(sample.phase)?.add(sample);
    this.run.add(sample);
    const byWorkload = this.workloads.get(sample.phase);
    if (byWorkload) of(byWorkload, sample.workload).add(sample);
    of(this.runWorkloads, sample.workload).add(sample);
    if (sample.tenant !== undefined) {
      const byTenant = this.tenants.get(sample.phase);
      if (byTenant) of(byTenant, sample.tenant).add(sample);
      of(this.runTenants, sample.tenant).add(sample);
    }
    this.series.add(sample);
  }
}

export class Recorder {
  readonly #out: WriteStream;
  readonly #pricing: Pricing | undefined;

  constructor(path: string, pricing?: Pricing) {
    this.#out = createWriteStream(path, { flags: "a" });
    this.#pricing = pricing;
  }

  record(sample: Sample): void {
    if (this.#pricing && !this.#pricing.empty) {
      const cost = this.#pricing.cost(sample);
      sample.cost = cost === undefined ? null : Math.round(cost * 1e9) / 1e9;
    }
    this.#out.write(`${sampleLine(sample)}\n`);
  }

  async close(): Promise<void> {
    this.#out.end();
    await once(this.#out, "close");
  }
}

/** The sample as a line of samples.jsonl: everything but the reply text; the gaps to the µs (the itl histogram is rebuilt from them). */
export function sampleLine(sample: Sample): string {
  const { reply, gaps, ...line } = sample;
  void reply;
  return JSON.stringify(gaps ? { ...line, gaps: gaps.map((g) => Math.round(g * 1000) / 1000) } : line);
}

function of(map: Map<string, WindowStats>, key: string): WindowStats {
  let stats = map.get(key);
  if (!stats) {
    stats = new WindowStats();
    map.set(key, stats);
  }
  return stats;
}
