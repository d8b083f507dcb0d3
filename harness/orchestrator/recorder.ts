/**
 * Receives every sample: appends it to `samples.jsonl` as it completes and aggregates it into the
 * window of its phase and the whole run.
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Sample } from "../metrics/sample.js";
import { TimeSeries } from "../metrics/time-series.js";
import { WindowStats } from "../metrics/window-stats.js";
import type { Pricing } from "../traffic/cost.js";

export class Recorder {
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
  readonly #out: WriteStream;
  readonly #pricing: Pricing | undefined;

  constructor(path: string, phases: readonly string[], pricing?: Pricing) {
    this.#out = createWriteStream(path, { flags: "a" });
    this.#pricing = pricing;
    for (const phase of phases) {
      this.windows.set(phase, new WindowStats());
      this.workloads.set(phase, new Map());
      this.tenants.set(phase, new Map());
    }
  }

  record(sample: Sample): void {
    if (this.#pricing && !this.#pricing.empty) {
      const cost = this.#pricing.cost(sample);
      sample.cost = cost === undefined ? null : Math.round(cost * 1e9) / 1e9;
    }
    const { gaps, reply, ...line } = sample;
    this.#out.write(`${JSON.stringify(line)}\n`);
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

  async close(): Promise<void> {
    this.#out.end();
    await once(this.#out, "close");
  }
}

function of(map: Map<string, WindowStats>, key: string): WindowStats {
  let stats = map.get(key);
  if (!stats) {
    stats = new WindowStats();
    map.set(key, stats);
  }
  return stats;
}
