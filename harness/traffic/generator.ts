/**
 * The open-loop dispatcher: each request is due at the time its arrival process gives
 * (arrival.ts), whatever happened to the earlier ones, and every latency is measured from that
 * intended time. How late the dispatcher itself ran (schedule lag) is recorded, so a generator
 * that fell behind is visible.
 * @module
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Pool } from "undici";
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";
import { hashString, seededRandom, type Random } from "../base/random/prng.js";
import { arrivalOffsets, type ArrivalSpec } from "./arrival.js";
import { drawTokens } from "./distribution.js";
import type { TrafficSection, WorkloadSpec } from "./schema.js";
import { PromptBook } from "./prompts.js";
import { ajvErrors, compileSchema, QualityPlanner, type QualityCheck } from "./quality.js";
import { AgentSession, ragMessages, toolParameters, type Message } from "./session.js";

const toolValidators = new Map([...toolParameters].map(([name, schema]) => [name, compileSchema(schema)]));
import { LiveRequests, sendRequest, type RequestPlan } from "./request.js";
import { LiveList } from "../base/lifecycle/live-list.js";
import { HarnessError } from "../base/errors.js";

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
}

/** A scenario's traffic block; `tenants` and each workload's `kind` (chat) may be left out. */
export type TrafficSpec = Omit<TrafficSection, "tenants" | "mix"> & {
  tenants?: TrafficSection["tenants"];
  mix: (Omit<WorkloadSpec, "kind"> & { kind?: WorkloadSpec["kind"] })[];
};

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

/** An agent session in flight: what its next request needs. */
interface SessionContext {
  session: AgentSession;
  /** Its workload, by index in the mix. */
  index: number;
  tenant: Stream["tenants"][number] | undefined;
  thinkTime: number;
}

/** A tool turn's answer must be a call whose arguments parse and satisfy the tool's schema. */
const toolCallCheck: QualityCheck = (text, sample) => {
  if (!sample.toolCall) return "a tool call was required, but the answer is text";
  const schema = toolParameters.get(sample.toolCall);
  if (!schema) return `the answer calls ${sample.toolCall}, which was not offered`;
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch {
    return `the arguments of ${sample.toolCall} are not JSON: ${JSON.stringify(text.slice(0, 60))}`;
  }
  const validate = toolValidators.get(sample.toolCall)!;
  return validate(args) ? undefined : `the arguments of ${sample.toolCall} do not match its schema: ${ajvErrors(validate)}`;
};

/** A source of requests: its random draws and the tenants it picks from (by weight; none = anonymous). */
interface Stream {
  random: Random;
  tenants: readonly { name: string; weight: number; headers: Record<string, string> }[];
  /** The workloads it sends (indices into the mix) with their weights: a tenant's own `mix`, else the whole mix. */
  mix: { indices: readonly number[]; weights: readonly number[]; total: number };
}

function pickTenant(stream: Stream): Stream["tenants"][number] | undefined {
  const { tenants } = stream;
  // One tenant (or none) draws nothing, so adding a single tenant does not move the other draws.
  if (tenants.length <= 1) return tenants[0];
  let pick = stream.random() * tenants.reduce((sum, t) => sum + t.weight, 0);
  return tenants.find((t) => (pick -= t.weight) < 0) ?? tenants.at(-1);
}

export async function runTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const { traffic, phases } = options;
  const headersFor = (key: string | undefined): Record<string, string> => ({ "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) });
  const tenants = (traffic.tenants ?? []).map((t) => {
    const key = options.tenantKeys?.[t.name];
    if (key === undefined) throw new HarnessError("USAGE", { message: `no API key for tenant "${t.name}"` });
    return { ...t, headers: headersFor(key) };
  });
  const url = new URL(options.baseUrl);
  const path = `${apiPath(options.baseUrl)}/chat/completions`;
  const warmed = options.prepared?.pool;
  const pool = warmed && warmed.origin === url.origin ? warmed.pool : newPool(url.origin, traffic.client.connections);
  if (warmed && warmed.pool !== pool) await warmed.pool.destroy();
  // Retry jitter draws from its own stream: retries happen in completion order, which must not move the other draws.
  const retryRandom = seededRandom(hashString("retry", options.seed));
  const quality = traffic.mix.map((w) => new QualityPlanner(w.quality));
  const mixOf = (names?: readonly string[]): Stream["mix"] => {
    const indices = traffic.mix.flatMap((w, i) => (names === undefined || names.includes(w.name) ? [i] : []));
    let weights = indices.map((i) => traffic.mix[i]!.weight);
    // Weight 0 keeps a workload out of the shared draw; a tenant's mix of only such workloads draws them evenly.
    if (weights.every((w) => w === 0)) weights = weights.map(() => 1);
    return { indices, weights, total: weights.reduce((sum, w) => sum + w, 0) };
  };
  const books = options.prepared?.books ?? (await prepareTraffic(traffic, options.seed)).books;
  const bounds = phases.reduce<{ name: string; end: number }[]>((acc, p) => [...acc, { name: p.name, end: (acc.at(-1)?.end ?? 0) + p.duration }], []);
  const total = bounds.at(-1)?.end ?? 0;
  const arrival = traffic.arrival;
  // The shared arrival draws from the run's seed (as without tenants); a tenant's own arrival from its name.
  const mainStream: Stream = { random: seededRandom(options.seed), tenants: tenants.filter((t) => !t.arrival), mix: mixOf() };
  const anonymous = headersFor(options.apiKey);
  let nextId = 0;
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

  // Sleeps of closed-loop users and agent sessions: one abort listener for all of them (not one
  // each: thousands may think at once); a run that stops wakes them, and they see it stopped.
  const sleepers = new LiveList<() => void>();
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.remove(node);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      const node = sleepers.add(wake);
    });
  const wakeAll = () => sleepers.drain().forEach((wake) => wake());
  options.signal.addEventListener("abort", wakeAll, { once: true });
  const stopped = () => options.signal.aborted || live.cancelled;

  const model = JSON.stringify(traffic.model);
  const abandonAfterTtftMs = traffic.client.abandonAfterTtft;
  /** Builds request i (all its random draws, its body): done ahead of its due time, so sending it costs only the send. */
  const build = (offset: number, stream: Stream): RequestPlan => {
    const { random } = stream;
    const due = options.start + offset;
    // From the offset, not from due − start: that difference of large floats puts a request due
    // exactly on a phase boundary into the phase before it.
    const phase = bounds.find((b) => offset < b.end)?.name ?? bounds.at(-1)!.name;
    // A workload of weight 0 is never drawn here: only a tenant whose own mix names it sends it.
    const { indices, weights, total } = stream.mix;
    let pick = random() * total;
    let k = 0;
    while (k < indices.length - 1 && (pick -= weights[k]!) >= 0) k++;
    while (weights[k] === 0) k--; // float rounding past the end lands on the last drawable workload
    const index = indices[k]!;
    const workload = traffic.mix[index]!;
    const tenant = pickTenant(stream);
    if (workload.kind === "agent") {
      // A new session: its draws come from its own stream, so later turns (sent whenever the
      // earlier ones finish) do not move the draws of the other requests.
      const id = nextId;
      const spec = workload.session ?? { turns: [2, 4] as [number, number], thinkTime: 1000, toolCalls: 0.5 };
      const sessionRandom = seededRandom(hashString(`session:${id}`, options.seed));
      const turns = Array.isArray(spec.turns) ? spec.turns[0] + Math.floor(sessionRandom() * (spec.turns[1] - spec.turns[0] + 1)) : spec.turns;
      return agentTurn({ session: new AgentSession(id, sessionRandom, turns, spec.toolCalls), index, tenant, thinkTime: spec.thinkTime }, offset);
    }
    const promptTokens = drawTokens(workload.promptTokens, random);
    const maxTokens = drawTokens(workload.maxTokens, random);
    const check = quality[index]!.plan(random);
    let body: string;
    if (workload.kind === "rag") {
      const messages = ragMessages(books[index]!, promptTokens, random);
      if (check.suffix) messages[1]!.content += check.suffix;
      body = requestBody(messages, maxTokens, workload.stream, check.responseFormat);
    } else {
      const prompt = books[index]!.prompt(promptTokens, random);
      // The body as text: the same JSON as JSON.stringify of the object, without building the object.
      body = `{"model":${model},"messages":[{"role":"user","content":${JSON.stringify(check.suffix ? prompt + check.suffix : prompt)}}],"max_tokens":${maxTokens},"stream":${workload.stream}`;
      if (workload.stream) body += ',"stream_options":{"include_usage":true}';
      if (check.responseFormat) body += `,"response_format":${JSON.stringify(check.responseFormat)}`;
      body += "}";
    }
    const plan: RequestPlan = {
      id: nextId++,
      phase,
      workload: workload.name,
      scheduled: due,
      origin: options.start,
      body,
      stream: workload.stream,
      headers: tenant?.headers ?? anonymous,
      timeoutMs: traffic.client.timeout,
      retries: traffic.client.retries,
      random: retryRandom,
      promptTokens,
    };
    if (abandonAfterTtftMs !== undefined) plan.abandonAfterTtftMs = abandonAfterTtftMs;
    if (check.check) plan.check = check.check;
    if (tenant) plan.tenant = tenant.name;
    return plan;
  };

  const requestBody = (messages: readonly Message[], maxTokens: number, streamed: boolean, responseFormat?: unknown, tools?: { tools: unknown; choice: string }) =>
    JSON.stringify({
      model: traffic.model,
      messages,
      max_tokens: maxTokens,
      stream: streamed,
      ...(streamed ? { stream_options: { include_usage: true } } : {}),
      ...(responseFormat ? { response_format: responseFormat } : {}),
      ...(tools ? { tools: tools.tools, tool_choice: tools.choice } : {}),
    });

  /** The next request of an agent session: its history so far, then a user message or a tool's result. */
  const agentTurn = (ctx: SessionContext, offset: number): RequestPlan => {
    const { session, index } = ctx;
    const workload = traffic.mix[index]!;
    const { random } = session;
    const book = books[index]!;
    let promptTokens = 0;
    const check = quality[index]!.plan(random);
    const next = session.next(() => {
      promptTokens = drawTokens(workload.promptTokens, random);
      return book.prompt(promptTokens, random) + check.suffix;
    });
    const maxTokens = drawTokens(workload.maxTokens, random);
    const plan: RequestPlan = {
      id: nextId++,
      phase: bounds.find((b) => offset < b.end)?.name ?? bounds.at(-1)!.name,
      workload: workload.name,
      scheduled: options.start + offset,
      origin: options.start,
      body: requestBody(next.messages, maxTokens, workload.stream, undefined, next.tools ? { tools: next.tools, choice: next.toolChoice! } : undefined),
      stream: workload.stream,
      headers: ctx.tenant?.headers ?? anonymous,
      timeoutMs: traffic.client.timeout,
      retries: traffic.client.retries,
      random: retryRandom,
      keepReply: true,
      session: session.id,
      turn: session.turn,
      sessionContext: ctx,
    };
    if (promptTokens > 0) plan.promptTokens = promptTokens;
    if (abandonAfterTtftMs !== undefined) plan.abandonAfterTtftMs = abandonAfterTtftMs;
    if (ctx.tenant) plan.tenant = ctx.tenant.name;
    // A turn that asked for a tool must get a call with arguments its schema accepts; the others
    // are checked as the workload says.
    plan.check = next.toolTurn ? toolCallCheck : next.step === "user" ? check.check : undefined;
    if (!plan.check) delete plan.check;
    return plan;
  };

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
      await nap(ctx.thinkTime);
      const offset = performance.now() - options.start;
      if (stopped() || offset >= total || nextId >= options.maxRequests) return;
      const next = agentTurn(ctx, offset);
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
    const end = options.start + total;
    const user = async () => {
      await nap(Math.max(0, options.start - performance.now()));
      while (nextId < options.maxRequests && !stopped()) {
        const now = performance.now();
        if (now >= end) return;
        const plan = build(now - options.start, stream);
        plan.dispatched = performance.now();
        lag.record(0);
        result.scheduled++;
        await send(plan);
        if (thinkTime > 0) await nap(Math.min(thinkTime, Math.max(0, end - performance.now())));
      }
    };
    await Promise.all(Array.from({ length: vus }, user));
  };

  /** Open loop: each request is sent when it is due, whatever the earlier ones are doing. */
  const openLoop = (spec: ArrivalSpec, arrivalSeed: number, stream: Stream) =>
    new Promise<void>((resolve) => {
      // Arrivals draw from their own stream, so changing the workload mix does not move the schedule.
      const offsets = arrivalOffsets(spec, total, seededRandom(arrivalSeed));
      let next = offsets.next();
      // Requests built ahead, in due order: those due within the next few ms.
      const ahead: RequestPlan[] = [];
      const buildAhead = (horizon: number) => {
        while (ahead.length < 256 && nextId < options.maxRequests && !next.done && (ahead.length === 0 || options.start + next.value <= horizon)) {
          ahead.push(build(next.value, stream));
          next = offsets.next();
        }
      };
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      let lastDue = Number.NEGATIVE_INFINITY;
      const finish = () => {
        clearTimeout(timer);
        clearImmediate(immediate);
        options.signal.removeEventListener("abort", finish);
        resolve();
      };
      options.signal.addEventListener("abort", finish, { once: true });
      const tick = () => {
        const now = performance.now();
        buildAhead(now);
        // Send everything that is due, however late this timer fired: open loop, never "catch up later".
        while (ahead.length > 0 && ahead[0]!.scheduled <= now) {
          const plan = ahead.shift()!;
          plan.dispatched = performance.now();
          const late = plan.dispatched - plan.scheduled;
          result.maxScheduleLagMs = Math.max(result.maxScheduleLagMs, late);
          lag.record(late);
          void send(plan); // never rejects: a failure is recorded and ends the run after the drain
          lastDue = plan.scheduled;
          result.scheduled++;
          if (ahead.length === 0) buildAhead(now);
        }
        buildAhead(performance.now() + 5);
        if (ahead.length === 0 || stopped()) return finish();
        // Node's timers may fire up to ~1 ms early (and the retry then a whole ms late), and a process
        // that sleeps can wake a millisecond or two late on a VM: the timer is set to fire early and
        // the rest is waited out with setImmediate, which yields to I/O. Early by 2 ms when requests
        // are 10 ms apart or more (at most 20% of a core), else only the last millisecond.
        const due = ahead[0]!.scheduled;
        const wait = due - performance.now();
        const early = due - lastDue >= 10 ? 2 : 1;
        // A timer cannot wait less than 1 ms (Node rounds shorter delays up, and its clock ticks in
        // whole ms): anything due sooner than early + 1 ms is waited out actively.
        if (wait < early + 1) {
          timer = undefined;
          immediate = setImmediate(tick);
        } else timer = setTimeout(tick, wait - early);
      };
      if (options.signal.aborted) return finish();
      timer = setTimeout(tick, Math.max(0, options.start - performance.now()));
    });

  try {
    await Promise.all([
      arrival.type === "closed" ? closedLoop(arrival.vus, arrival.thinkTime, mainStream) : openLoop(arrival, hashString("arrival", options.seed), mainStream),
      // Tenants with an arrival of their own send on it too, each from its own seeded draws.
      ...tenants.filter((t) => t.arrival).map((t) => openLoop(t.arrival as ArrivalSpec, hashString(`arrival:${t.name}`, options.seed), { random: seededRandom(hashString(`tenant:${t.name}`, options.seed)), tenants: [t], mix: mixOf(t.mix) })),
    ]);
    // Let the last requests finish (bounded); what is left then was never answered, and is recorded so.
    // The drain is counted from the end of the last phase, however early the last request was due.
    const drain = setTimeout(
      () => {
        live.cancelAll("drain");
        wakeAll(); // sessions thinking about their next turn see the run has stopped
      },
      Math.max(0, options.start + total - performance.now()) + (options.drainMs ?? traffic.client.timeout),
    );
    await allDone();
    clearTimeout(drain);
  } finally {
    live.cancelAll();
    options.signal.removeEventListener("abort", onAbort);
    options.signal.removeEventListener("abort", wakeAll);
    wakeAll();
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
  return result;
}
