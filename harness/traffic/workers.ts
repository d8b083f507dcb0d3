/**
 * `aire run --workers N`: the traffic of one run sent by N generator processes (`aire worker`,
 * worker.ts), each with its own connections and event loop. The arrival schedule is split by
 * execution segments, striped: of the one sequence of scheduled requests, worker k sends those
 * whose index i has i mod N = k, so a seed gives the same requests (ids, bodies, intended times)
 * whatever N. The parent keeps everything else (faults, scoring, the results files): each worker's
 * samples come back in batches, its schedule-lag histogram at the end (merged exactly), and its
 * clock offset is measured before the start, so every worker starts at the same instant.
 * @module
 */
import { HarnessError } from "../base/errors.js";
import { spawnAireChild, type AireChild } from "../base/lifecycle/child-service.js";
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";
import type { TrafficResult } from "./generator.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./worker.js";

/** One worker as the parent sees it. */
export interface WorkerClock {
  pid: number;
  /** Its `performance.now()` minus ours, ms (from the ping with the shortest round trip). */
  offsetMs: number;
  /** That ping's round trip: the offset is known to within half of it. */
  rttMs: number;
}

/** A worker's own figures, in `traffic_end`. */
export interface WorkerTraffic extends WorkerClock {
  segment: string;
  scheduled: number;
  completed: number;
  scheduleLagMs: TrafficResult["scheduleLagMs"];
  eventLoopLagMs: TrafficResult["eventLoopLagMs"];
}

const READY_TIMEOUT_MS = 30_000;
const PINGS = 7;

interface Member {
  child: AireChild;
  index: number;
  stderr: string[];
  clock?: WorkerClock;
  done?: { result: TrafficResult; lag: string };
  /** The listener of the current step. */
  onMessage?: (message: FromWorker) => void;
}

export class TrafficWorkers {
  readonly #members: Member[];
  readonly #count: number;

  private constructor(members: Member[], count: number) {
    this.#members = members;
    this.#count = count;
  }

  /**
   * Starts `count` workers, gives each its segment, waits until each has its connections open,
   * and measures each one's clock. `signal` stops a start that is still going (every worker is
   * stopped, and the start rejects with its reason).
   */
  static async start(count: number, config: Omit<WorkerConfig, "segment">, signal?: AbortSignal): Promise<TrafficWorkers> {
    signal?.throwIfAborted();
    const members: Member[] = [];
    const pool = new TrafficWorkers(members, count);
    try {
      for (let index = 0; index < count; index++) {
        const stderr: string[] = [];
        const child = spawnAireChild(["worker"], { onStderr: (line) => stderr.push(line) && stderr.length > 20 && stderr.shift() });
        const member: Member = { child, index, stderr };
        child.process.on("message", (message: FromWorker) => member.onMessage?.(message));
        members.push(member);
      }
      await Promise.all(
        members.map((m) =>
          pool.#step<void>(m, signal, READY_TIMEOUT_MS, "to open its connections", (message, resolve) => message.type === "ready" && resolve(undefined), () => {
            send(m, { type: "config", config: { ...config, segment: { index: m.index, count } } });
          }),
        ),
      );
      for (const m of members) m.clock = await pool.#measureClock(m, signal);
      return pool;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  get clocks(): WorkerClock[] {
    return this.#members.map((m) => m.clock!);
  }

  /** Waits for one answer of a worker (`accept` resolves the step), failing when it exits first or takes longer than `timeoutMs`. */
  #step<T>(m: Member, signal: AbortSignal | undefined, timeoutMs: number, what: string, accept: (message: FromWorker, resolve: (value: T) => void) => void, begin: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        m.onMessage = undefined;
        fn();
      };
      const timer = setTimeout(() => finish(() => reject(this.#failure(m, `did not manage ${what} within ${timeoutMs / 1000} s`))), timeoutMs);
      const onAbort = () => finish(() => reject(signal!.reason));
      signal?.addEventListener("abort", onAbort, { once: true });
      void m.child.exited.then((how) => finish(() => reject(this.#failure(m, `exited (${how.signal ?? `code ${how.code}`}) before it managed ${what}`))));
      m.onMessage = (message) => {
        if (message.type === "failed") return finish(() => reject(this.#failure(m, message.error)));
        accept(message, (value) => finish(() => resolve(value)));
      };
      begin();
    });
  }

  /** The worker's clock against ours: the ping with the shortest round trip, its midpoint taken as the instant the worker read its clock. */
  async #measureClock(m: Member, signal: AbortSignal | undefined): Promise<WorkerClock> {
    let best: WorkerClock = { pid: m.child.pid, offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < PINGS; i++) {
      const t = performance.now();
      const w = await this.#step<number>(m, signal, 5_000, "to answer a clock ping", (message, resolve) => message.type === "pong" && message.t === t && resolve(message.w), () => send(m, { type: "ping", t }));
      const back = performance.now();
      if (back - t < best.rttMs) best = { pid: m.child.pid, offsetMs: w - (t + back) / 2, rttMs: back - t };
    }
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    return { pid: best.pid, offsetMs: round(best.offsetMs), rttMs: round(best.rttMs) };
  }

  #failure(m: Member, what: string): HarnessError {
    const tail = m.stderr.slice(-3).join(" | ");
    return new HarnessError("WORKER_FAILED", { message: `traffic worker ${m.index + 1} of ${this.#count} (pid ${m.child.pid}) ${what}${tail ? `: ${tail}` : ""}` });
  }

  /**
   * Starts every worker at `start` (our performance.now()), hands each sample to `onSample` as the
   * batches arrive, and resolves with the merged result once all are done. `signal` stops the
   * traffic (the workers cancel what is in flight and report). A worker that dies, fails, or does
   * not report within `reportTimeoutMs` of the end is a WORKER_FAILED error: `onFailure` hears it at
   * once (the run rolls back), the other workers are stopped, and the promise rejects with it.
   */
  async run(options: { start: number; signal: AbortSignal; onSample(sample: Sample): void; onFailure(err: HarnessError): void; reportTimeoutMs: number }): Promise<TrafficResult & { workers: WorkerTraffic[] }> {
    let failure: HarnessError | undefined;
    const stopAll = () => {
      for (const m of this.#members) if (!m.done) send(m, { type: "stop" });
    };
    options.signal.addEventListener("abort", stopAll, { once: true });
    // Stopped before it started (an interrupt between the start-up and now): the workers are told
    // at once, after their "go", and report what little they did.
    if (options.signal.aborted) queueMicrotask(stopAll);
    let sampleError: unknown;
    try {
      await Promise.allSettled(
        this.#members.map(async (m) => {
          const deadline = Math.max(0, options.start - performance.now()) + options.reportTimeoutMs;
          try {
            m.done = await this.#step<{ result: TrafficResult; lag: string }>(
              m,
              undefined,
              deadline,
              "to send its traffic and report",
              (message, resolve) => {
                if (message.type === "samples") {
                  try {
                    for (const s of message.samples) options.onSample(s);
                  } catch (err) {
                    // A sample that could not be recorded ends the run with that error, as in one process.
                    sampleError ??= err;
                    stopAll();
                  }
                } else if (message.type === "done") resolve({ result: message.result, lag: message.lag });
              },
              () => send(m, { type: "go", start: options.start + m.clock!.offsetMs }),
            );
          } catch (err) {
            if (!failure) {
              failure = err as HarnessError;
              options.onFailure(failure);
              stopAll();
            }
          }
        }),
      );
    } finally {
      options.signal.removeEventListener("abort", stopAll);
    }
    if (sampleError) throw sampleError;
    if (failure) throw failure;
    return this.#merge();
  }

  #merge(): TrafficResult & { workers: WorkerTraffic[] } {
    const lag = new LatencyHistogram();
    const results = this.#members.map((m) => m.done!.result);
    for (const m of this.#members) lag.mergeEncoded(m.done!.lag);
    const sum = (key: "scheduled" | "completed" | "unanswered" | "cancelled") => results.reduce((total, r) => total + r[key], 0);
    const max = (f: (r: TrafficResult) => number) => Math.max(0, ...results.map(f));
    const round = (ms: number | undefined) => Math.round((ms ?? 0) * 1000) / 1000;
    const maxScheduleLagMs = max((r) => r.maxScheduleLagMs);
    return {
      scheduled: sum("scheduled"),
      completed: sum("completed"),
      unanswered: sum("unanswered"),
      cancelled: sum("cancelled"),
      maxScheduleLagMs,
      scheduleLagMs: { p50: round(lag.stat("p50")), p99: round(lag.stat("p99")), max: maxScheduleLagMs },
      // Each worker's own loop: the worst of them is the run's.
      eventLoopLagMs: { p99: max((r) => r.eventLoopLagMs.p99), max: max((r) => r.eventLoopLagMs.max) },
      workers: this.#members.map((m) => ({ ...m.clock!, segment: `${m.index}/${this.#count}`, scheduled: m.done!.result.scheduled, completed: m.done!.result.completed, scheduleLagMs: m.done!.result.scheduleLagMs, eventLoopLagMs: m.done!.result.eventLoopLagMs })),
    };
  }

  /** Stops every worker still running (SIGTERM, then SIGKILL) and waits for each to exit. */
  async close(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.child.stop(2000)));
  }
}

function send(m: Member, message: ToWorker): void {
  if (m.child.process.connected) m.child.process.send(message);
}
