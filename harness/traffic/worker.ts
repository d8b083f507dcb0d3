/**
 * One generator process of `aire run --workers N` (`aire worker`, started by workers.ts with an IPC
 * channel): it is given the traffic and its segment, opens its own connections, answers the
 * parent's clock pings, starts at the instant the parent names on this process's clock, and sends
 * its samples back in batches. It exits when the traffic is done, when told to stop, and when
 * its parent has gone.
 * @module
 */
import { describeError, HarnessError } from "../base/errors.js";
import { onParentGone } from "../base/lifecycle/child-service.js";
import type { Sample } from "../metrics/sample.js";
import { prepareTraffic, runTrafficMeasured, type TrafficResult } from "./generator.js";
import type { Segment, TrafficSpec } from "./planner.js";

/** What a worker needs to send its share: everything of `TrafficOptions` that is data. */
export interface WorkerConfig {
  baseUrl: string;
  apiKey?: string;
  tenantKeys?: Record<string, string>;
  traffic: TrafficSpec;
  seed: number;
  phases: { name: string; duration: number }[];
  maxRequests: number;
  drainMs?: number;
  segment: Segment;
}

/** Parent → worker. */
export type ToWorker = { type: "config"; config: WorkerConfig } | { type: "ping"; t: number } | { type: "go"; start: number } | { type: "stop" };

/** Worker → parent. */
export type FromWorker =
  | { type: "ready" }
  | { type: "pong"; t: number; w: number }
  | { type: "samples"; samples: Sample[] }
  | { type: "done"; result: TrafficResult; lag: string }
  | { type: "failed"; error: string };

/** Samples go to the parent at least this often, or when this many are waiting. */
const BATCH_MS = 50;
const BATCH_SIZE = 500;

/** The worker's life: resolves once it has sent its result (or its failure). */
export async function workerMain(): Promise<void> {
  if (!process.send) throw new HarnessError("USAGE", { message: "aire worker runs only as a child of aire run --workers (it needs an IPC channel)" });
  const send = (message: FromWorker) => {
    if (process.connected) process.send!(message);
  };
  /** The last message: resolves once it is on its way, before the channel closes. */
  const sendLast = (message: FromWorker) => new Promise<void>((resolve) => (process.connected ? process.send!(message, undefined, {}, () => resolve()) : resolve()));
  const stop = new AbortController();
  // The parent coordinates an interrupt (faults first, then traffic): a terminal's Ctrl-C, which
  // reaches the whole process group, is left to it. SIGTERM (the parent stopping us) and a parent
  // that has gone end the traffic here.
  process.on("SIGINT", () => {});
  process.once("SIGTERM", () => stop.abort("SIGTERM"));
  onParentGone(() => process.exit(143));

  let configured!: (config: WorkerConfig) => void;
  const configuration = new Promise<WorkerConfig>((resolve) => (configured = resolve));
  let go!: (start: number) => void;
  const started = new Promise<number>((resolve) => (go = resolve));
  process.on("message", (message: ToWorker) => {
    if (message.type === "config") configured(message.config);
    else if (message.type === "ping") send({ type: "pong", t: message.t, w: performance.now() });
    else if (message.type === "go") go(message.start);
    else if (message.type === "stop") stop.abort("stopped by the parent");
  });
  const config = await configuration;
  try {
    const prepared = await prepareTraffic(config.traffic, config.seed, { baseUrl: config.baseUrl, ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
    send({ type: "ready" });
    const start = await Promise.race([started, new Promise<undefined>((resolve) => stop.signal.addEventListener("abort", () => resolve(undefined), { once: true }))]);
    if (start === undefined) {
      await prepared.pool?.pool.destroy();
      return;
    }
    let batch: Sample[] = [];
    const flush = () => {
      if (batch.length === 0) return;
      send({ type: "samples", samples: batch });
      batch = [];
    };
    const timer = setInterval(flush, BATCH_MS);
    try {
      const { result, lag } = await runTrafficMeasured({
        baseUrl: config.baseUrl,
        ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}),
        ...(config.tenantKeys ? { tenantKeys: config.tenantKeys } : {}),
        traffic: config.traffic,
        seed: config.seed,
        phases: config.phases,
        maxRequests: config.maxRequests,
        start,
        signal: stop.signal,
        segment: config.segment,
        prepared,
        ...(config.drainMs !== undefined ? { drainMs: config.drainMs } : {}),
        onSample: (sample) => {
          // The answer an agent session keeps for its next turn stays here.
          const { reply: _reply, ...rest } = sample;
          batch.push(rest);
          if (batch.length >= BATCH_SIZE) flush();
        },
      });
      flush();
      await sendLast({ type: "done", result, lag: lag.encode() });
    } finally {
      clearInterval(timer);
    }
  } catch (err) {
    await sendLast({ type: "failed", error: describeError(err) });
  }
}
