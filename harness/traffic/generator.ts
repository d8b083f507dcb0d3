/**
 * A run's traffic: each request is due at the time its arrival process gives (arrival.ts),
 * whatever happened to the earlier ones, and every latency is measured from that intended time.
 * Its parts: planner.ts draws each request, open-loop.ts sends it when due (or virtual users do,
 * in a closed loop), request.ts measures the exchange. How late the dispatcher itself ran
 * (schedule lag) is recorded, so a generator that fell behind is visible.
 * @module
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Pool } from "undici";
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";
import { hashString, seededRandom } from "../base/random/prng.js";
import { arrivalAt, arrivalModel, arrivalOffsets, unitArrivals, type ArrivalSpec, type RateSegment } from "./arrival.js";
import { Naps } from "./naps.js";
import { openLoop, peekable } from "./open-loop.js";
import type { PhaseClock } from "./phase-clock.js";
import { RequestPlanner, type Segment, type SessionContext, type Stream, type TrafficSpec } from "./planner.js";
import { PromptBook } from "./prompts.js";
import { LiveRequests, sendRequest, type RequestPlan } from "./request.js";

export type { TrafficSpec } from "./planner.js";

export interface TrafficOptions {
  /** Base URL of the OpenAI-compatible target, e.g. http://127.0.0.1:4000 */
  baseUrl: string;
  /** Sent as `authorization: Bearer …` when there are no tenants. */
  apiKey?: string;
  /** Each tenant's API key, by tenant name (required for every tenant of `traffic.tenants`). */
  tenantKeys?: Readonly<Record<string, string>>;
  /** The scenario's traffic block (`tenants` may be left out: one anonymous caller). */
  traffic: TrafficSpec;
  seed: number;
  /** Phases in order; traffic runs for their total duration. */
  phases: readonly { name: string; duration: number }[];
  maxRequests: number;
  /** performance.now() at which request 0 is due. */
  start: number;
  signal: AbortSignal;
  onSample(sample: Sample): void;
  /** How long to wait for requests still in flight after the last phase (default: the client timeout). */
  drainMs?: number;
  /** The prompts, built ahead (prepareTraffic) so that building them does not delay the first requests. */
  prepared?: PreparedTraffic;
  /** This process's share of the requests (`--workers`): see `Segment`. Default: all of them. */
  segment?: Segment;
  /**
   * A game day's phase clock (one process only): the phases and the arrivals follow a
   * facilitator's hold, extend, advance and rate; the traffic ends when the clock's phases do.
   */
  clock?: PhaseClock;
}

export interface PreparedTraffic {
  books: PromptBook[];
  /** The connection pool, with `client.warmConnections` connections already open (runTraffic takes it over and closes it). */
  pool?: { origin: string; pool: Pool };
}

/**
 * Everything the dispatcher needs that takes time to build (the tokenizer, faker prompts) and,
 * given the target, the connections it will use: the first measured requests should not pay the
 * generator's own TCP connects, which clients with keep-alive pay once. Call it before fixing `start`.
 */
export async function prepareTraffic(traffic: TrafficSpec, seed: number, target?: { baseUrl: string; apiKey?: string }): Promise<PreparedTraffic> {
  const books = await Promise.all(traffic.mix.map((_, i) => PromptBook.create(seed * 31 + i)));
  if (!target) return { books };
  const { origin } = new URL(target.baseUrl);
  const pool = newPool(origin, traffic.client.connections);
  const warm = Math.min(traffic.client.connections, traffic.client.warmConnections ?? 0);
  const path = `${apiPath(target.baseUrl)}/models`;
  const headers = target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
  // Concurrent requests, so the pool opens one connection for each; their answers do not matter.
  await Promise.allSettled(
    Array.from({ length: warm }, () =>
      pool.request({ path, method: "GET", headers, signal: AbortSignal.timeout(5_000) }).then((res) => res.body.dump()),
    ),
  );
  return { books, pool: { origin, pool } };
}

function newPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
}

/** `/v1` under the target's base path (`http://h:p` and `http://h:p/v1` both work). */
export function apiPath(baseUrl: string): string {
  return `${new URL(baseUrl).pathname.replace(/\/$/, "").replace(/\/v1$/, "")}/v1`;
}

export interface TrafficResult {
  scheduled: number;
  completed: number;
  /** Of those, requests still open when the drain ended: recorded as `unanswered` failures. */
  unanswered: number;
  cancelled: number;
  /** Ingested k6 results: iterations k6 dropped (due, never sent: too few VUs). */
  dropped?: number;
  /** False for ingested results: no one measured the sender's schedule or event-loop lag. */
  lagMeasured?: boolean;
  /** Largest delay between a request's intended and actual dispatch, ms. */
  maxScheduleLagMs: number;
  /** The delay between intended and actual dispatch over every request, ms. */
  scheduleLagMs: { p50: number; p99: number; max: number };
  /** How late the generator's event loop ran its timers while sending (perf_hooks), ms. */
  eventLoopLagMs: { p99: number; max: number };
}

export async function runTraffic(options: TrafficOptions): Promise<TrafficResult> {
  return (await runTrafficMeasured(options)).result;
}

/** `runTraffic`, with the schedule lag of every request as a histogram (a worker sends it to be merged exactly). */
export async function runTrafficMeasured(options: TrafficOptions): Promise<{ result: TrafficResult; lag: LatencyHistogram }> {
  const { traffic } = options;
  const books = options.prepared?.books ?? (await prepareTraffic(traffic, options.seed)).books;
  // The planner first: a tenant without a key is refused before any connection or listener.
  const { clock } = options;
  const planner = new RequestPlanner({ traffic, seed: options.seed, ...(clock ? { clock } : {}), start: options.start, phases: options.phases, books, maxRequests: options.maxRequests, ...(options.segment ? { segment: options.segment } : {}), ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}), ...(options.tenantKeys ? { tenantKeys: options.tenantKeys } : {}) });
  const url = new URL(options.baseUrl);
  const path = `${apiPath(options.baseUrl)}/chat/completions`;
  const warmed = options.prepared?.pool;
  const pool = warmed && warmed.origin === url.origin ? warmed.pool : newPool(url.origin, traffic.client.connections);
  if (warmed && warmed.pool !== pool) await warmed.pool.destroy();
  const { total } = planner;
  /** Where the traffic ends, ms from start: the phases' total, or where the clock has them end (Infinity while held). */
  const end = () => (clock ? clock.wallEnd() : total);
  const arrival = traffic.arrival;
  const live = new LiveRequests();
  const onAbort = () => live.cancelAll();
  options.signal.addEventListener("abort", onAbort, { once: true });
  // Requests in flight (an agent session's later turns count as part of its first request).
  let inflight = 0;
  let idle: (() => void) | undefined;
  let failure: { err: unknown } | undefined;
  const result: TrafficResult = { scheduled: 0, completed: 0, unanswered: 0, cancelled: 0, maxScheduleLagMs: 0, scheduleLagMs: { p50: 0, p99: 0, max: 0 }, eventLoopLagMs: { p99: 0, max: 0 } };
  const lag = new LatencyHistogram();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const naps = new Naps();
  options.signal.addEventListener("abort", naps.wakeAll, { once: true });
  const stopped = () => options.signal.aborted || live.cancelled;

  const send = async (plan: RequestPlan): Promise<void> => {
    inflight++;
    try {
      const sample = await sendRequest(pool, path, plan, live);
      if (!sample) {
        result.cancelled++;
        return;
      }
      result.completed++;
      if (sample.errorClass === "unanswered") result.unanswered++;
      const ctx = plan.sessionContext as SessionContext | undefined;
      const reply = sample.reply;
      options.onSample(sample);
      // An agent goes on after a successful answer, when it has turns left and the run has time.
      if (!ctx || !sample.ok || !reply || !ctx.session.answered(reply)) return;
      await naps.nap(ctx.thinkTime);
      const offset = performance.now() - options.start;
      if (stopped() || offset >= end() || planner.issued >= planner.limit) return;
      const next = planner.agentTurn(ctx, offset);
      next.dispatched = performance.now();
      lag.record(0);
      result.scheduled++;
      await send(next);
    } catch (err) {
      // A sample that could not be recorded (onSample threw) ends the run with that error, once
      // the requests in flight are done.
      failure ??= { err };
      live.cancelAll();
    } finally {
      if (--inflight === 0) idle?.();
    }
  };
  /** Resolves when no request is in flight. */
  const allDone = () => (inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = () => ((idle = undefined), resolve()))));

  /** Closed loop: each virtual user sends, waits for the answer, thinks, and sends again until the end. */
  const closedLoop = async (vus: number, thinkTime: number, stream: Stream) => {
    const user = async () => {
      await naps.nap(Math.max(0, options.start - performance.now()));
      while (planner.issued < planner.limit && !stopped()) {
        const now = performance.now();
        if (now >= options.start + end()) return;
        const plan = planner.planOwn(now - options.start, stream);
        plan.dispatched = performance.now();
        lag.record(0);
        result.scheduled++;
        await send(plan);
        if (thinkTime > 0) await naps.nap(Math.min(thinkTime, Math.max(0, options.start + end() - performance.now())));
      }
    };
    // The virtual users are striped over the segments like the requests: user v runs in segment v mod count.
    const { index, count } = planner.segment;
    await Promise.all(Array.from({ length: Math.max(0, Math.ceil((vus - index) / count)) }, user));
  };

  /**
   * Open loop: each request is sent when it is due, whatever the earlier ones are doing. The shared
   * arrival and each tenant's own are merged into one sequence in due order (an earlier stream first
   * on a tie): a request's index in it is its id, and decides its segment.
   */
  /** An open loop's due request: its schedule lag recorded, then sent. */
  const dispatchDue = (plan: RequestPlan) => {
    const late = plan.dispatched! - plan.scheduled;
    result.maxScheduleLagMs = Math.max(result.maxScheduleLagMs, late);
    lag.record(late);
    void send(plan); // never rejects: a failure is recorded and ends the run after the drain
    result.scheduled++;
  };

  const sendOpen = (streams: { spec: ArrivalSpec; seed: number; stream: Stream; byHand?: boolean }[]) => {
    if (clock) return sendClocked(streams, clock);
    // Arrivals draw from their own streams, so changing the workload mix does not move the schedule.
    const sources = streams.map((s) => ({ stream: s.stream, offsets: arrivalOffsets(s.spec, total, seededRandom(s.seed)), next: undefined as IteratorResult<number, void> | undefined }));
    for (const source of sources) source.next = source.offsets.next();
    const merged = function* (): Generator<{ offset: number; stream: Stream }, void, undefined> {
      for (;;) {
        let first: (typeof sources)[number] | undefined;
        for (const source of sources) if (!source.next!.done && (!first || source.next!.value < (first.next!.value as number))) first = source;
        if (!first) return;
        const offset = first.next!.value as number;
        first.next = first.offsets.next();
        // Another segment's request: drawn here too, so that every stream stays where it would be.
        if (!planner.owns(planner.drawn)) planner.skip(offset, first.stream);
        else yield { offset, stream: first.stream };
      }
    };
    return openLoop({
      start: options.start,
      ...peekable(merged()),
      offsetOf: (entry) => entry.offset,
      signal: options.signal,
      mayPlan: () => planner.issued < planner.limit,
      plan: (entry) => planner.plan(entry.offset, entry.stream),
      dispatch: dispatchDue,
      stopped,
    });
  };

  /**
   * Open loop on a facilitator's clock: each stream's unit arrivals (the same draws) mapped through
   * its rate profile as the clock runs it (phase-clock.ts `wallProfile`; the rate set by hand is the
   * shared arrival's), re-mapped on every action. The merge takes the earliest due first, as above.
   */
  const sendClocked = (streams: { spec: ArrivalSpec; seed: number; stream: Stream; byHand?: boolean }[], clock: PhaseClock) => {
    const sources = streams.map((s) => {
      const model = arrivalModel(s.spec, total);
      let version = -1;
      let wall: RateSegment[] = [];
      const profile = () => {
        if (version !== clock.version) [version, wall] = [clock.version, clock.wallProfile(model.segments, s.byHand === true)];
        return wall;
      };
      const units = unitArrivals(s.spec, seededRandom(s.seed));
      return { stream: s.stream, units, u: units.next().value, uniform: model.spacing.kind === "uniform", profile };
    });
    type Entry = { source: (typeof sources)[number]; u: number };
    const offsetOf = (e: Entry) => arrivalAt(e.source.profile(), e.u, e.source.uniform);
    let head: Entry | undefined;
    const peek = (): Entry | undefined => {
      if (head) return head;
      for (;;) {
        const stop = end();
        let first: Entry | undefined;
        let firstAt = Number.POSITIVE_INFINITY;
        for (const source of sources) {
          const at = arrivalAt(source.profile(), source.u, source.uniform);
          if (at < stop && (!first || at < firstAt)) [first, firstAt] = [{ source, u: source.u }, at];
        }
        if (!first) return undefined;
        if (planner.owns(planner.drawn)) return (head = first);
        planner.skip(firstAt, first.source.stream);
        first.source.u = first.source.units.next().value;
      }
    };
    return openLoop<Entry>({
      start: options.start,
      peek,
      take: () => {
        head!.source.u = head!.source.units.next().value;
        head = undefined;
      },
      offsetOf,
      signal: options.signal,
      mayPlan: () => planner.issued < planner.limit,
      plan: (entry) => planner.plan(offsetOf(entry), entry.source.stream),
      dispatch: dispatchDue,
      stopped,
      clock: {
        onChange: (listener) =>
          clock.onChange(() => {
            head = undefined;
            listener();
          }),
        over: () => clock.planAt(performance.now() - options.start) >= clock.total,
        endOffset: end,
        retime: (plan, entry) => {
          const offset = offsetOf(entry);
          plan.scheduled = options.start + offset;
          if (Number.isFinite(offset)) plan.phase = planner.phaseAt(offset);
        },
      },
    });
  };

  try {
    // Tenants with an arrival of their own send on it too, each from its own seeded draws.
    const own = planner.tenants.filter((t) => t.arrival).map((t) => ({ spec: t.arrival as ArrivalSpec, seed: hashString(`arrival:${t.name}`, options.seed), stream: planner.tenantStream(t) }));
    if (arrival.type === "closed") await Promise.all([closedLoop(arrival.vus, arrival.thinkTime, planner.mainStream()), ...(own.length > 0 ? [sendOpen(own)] : [])]);
    else await sendOpen([{ spec: arrival, seed: hashString("arrival", options.seed), stream: planner.mainStream(), byHand: true }, ...own]);
    // Let the last requests finish (bounded); what is left then was never answered, and is recorded so.
    // The drain is counted from the end of the last phase, however early the last request was due.
    const ended = Number.isFinite(end()) ? options.start + end() : performance.now();
    const drain = setTimeout(
      () => {
        live.cancelAll("drain");
        naps.wakeAll(); // sessions thinking about their next turn see the run has stopped
      },
      Math.max(0, ended - performance.now()) + (options.drainMs ?? traffic.client.timeout),
    );
    await allDone();
    clearTimeout(drain);
  } finally {
    live.cancelAll();
    options.signal.removeEventListener("abort", onAbort);
    options.signal.removeEventListener("abort", naps.wakeAll);
    naps.wakeAll();
    loop.disable();
    await allDone();
    await pool.destroy();
  }
  if (failure) throw failure.err;
  const round = (ms: number | undefined) => Math.round((ms ?? 0) * 1000) / 1000;
  result.maxScheduleLagMs = round(result.maxScheduleLagMs);
  result.scheduleLagMs = { p50: round(lag.stat("p50")), p99: round(lag.stat("p99")), max: result.maxScheduleLagMs };
  // The monitor reports ns, and the timer's own resolution (10 ms) as its floor.
  result.eventLoopLagMs = { p99: round(Math.max(0, loop.percentile(99) / 1e6 - 10)), max: round(Math.max(0, loop.max / 1e6 - 10)) };
  return { result, lag };
}
