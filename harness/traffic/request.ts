/**
 * One logical request: its attempts (the client's own retries, openai-node's policy), each sent
 * through an undici dispatch handler that sees the bytes as they arrive. SSE is parsed chunk by
 * chunk, never buffered; every latency is measured from the intended send time and, for the
 * `*Service` figures, from the moment the request was written to a socket (after any wait for a
 * free connection), which is what a closed-loop tool would report.
 * @module
 */
import type { Dispatcher } from "undici";
import type { ErrorClass } from "../slo/expression.js";
import type { Random } from "../base/random/prng.js";
import { SseParser } from "../base/sse/parser.js";
import { AnswerReading } from "./answer-reading.js";
import type { AttemptRecord, Sample } from "../metrics/sample.js";
import type { QualityCheck } from "./quality.js";
import { LiveList, type LiveNode } from "../base/lifecycle/live-list.js";
import { at } from "../base/lifecycle/sleep.js";
import { DeadlineQueue, type Deadline, type DeadlineTarget } from "../base/lifecycle/deadlines.js";

export interface RequestPlan {
  id: number;
  phase: string;
  workload: string;
  /** performance.now() of the intended send time. */
  scheduled: number;
  /** performance.now() of the traffic start (sample times are relative to it). */
  origin: number;
  /** performance.now() when the generator handed the request to the HTTP client. */
  dispatched?: number;
  body: string;
  stream: boolean;
  /** Request headers, content-type included (shared by the requests of a run). */
  headers: Record<string, string>;
  /** Per attempt: an attempt with no complete answer after this is a `timeout`. */
  timeoutMs: number;
  /** The user gives up (class `timeout`, `abandoned: true`) when no first token came this long after the intended send time. */
  abandonAfterTtftMs?: number;
  /** Client retries after the first attempt (openai-node's policy); 0 = none. */
  retries: number;
  /** Jitter for the retry delay. */
  random: Random;
  /** What the answer must satisfy; a failure is a `quality` error. */
  check?: QualityCheck;
  tenant?: string;
  /** The size the prompt was built to (used when the answer reports no usage). */
  promptTokens?: number;
  /** Keep the answer (its text or tool call) on the sample, for the next request of a session. */
  keepReply?: boolean;
  /** The agent session and turn this request belongs to. */
  session?: number;
  turn?: number;
  /** The generator's own state of that session (not used here). */
  sessionContext?: unknown;
}

interface Outcome {
  sample?: Sample;
  /** Set when the attempt failed in a way the client may retry, with the server's retry-after if it gave one. */
  retry?: { afterMs?: number };
}

/** Something of a request that the run can stop: an attempt in flight, or a wait before a retry. */
interface Cancellable {
  cancel(reason: CancelReason): void;
}

/**
 * Why the run stops what is left: `run`, it was stopped (interrupted, aborted: nothing more is
 * measured); `drain`, it ended and waited its drain: what is still open was never answered, a
 * failure the run records.
 */
export type CancelReason = "run" | "drain";

/**
 * The requests of a run that have not finished; `cancelAll` stops them, recording nothing when
 * the run was stopped and an `unanswered` failure for each when the run's drain ended.
 */
export class LiveRequests {
  readonly #live = new LiveList<Cancellable>();
  /** The attempts' timeouts, one queue per timeout span. */
  readonly #timeouts = new Map<number, DeadlineQueue>();
  #cancelled = false;

  /** The deadlines that lie `spanMs` after they are set. */
  timeouts(spanMs: number): DeadlineQueue {
    let queue = this.#timeouts.get(spanMs);
    if (!queue) this.#timeouts.set(spanMs, (queue = new DeadlineQueue(spanMs)));
    return queue;
  }

  /** True once cancelAll ran: nothing new may start. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Adds the item (or cancels it at once when the run already stopped); the handle removes it. */
  add(item: Cancellable): LiveNode<Cancellable> | undefined {
    if (!this.#cancelled) return this.#live.add(item);
    item.cancel("run");
    return undefined;
  }

  delete(node: LiveNode<Cancellable> | undefined): void {
    if (node) this.#live.remove(node);
  }

  cancelAll(reason: CancelReason = "run"): void {
    this.#cancelled = true;
    for (const item of this.#live.drain()) item.cancel(reason);
    for (const queue of this.#timeouts.values()) queue.close();
  }

  get size(): number {
    return this.#live.size;
  }
}

/**
 * Sends the logical request, retrying as the plan says; resolves with its sample, or undefined
 * when the run was stopped. When the run's drain ends while it waits to retry, the last attempt's
 * failure is its outcome: the user got no answer.
 */
export async function sendRequest(dispatcher: Dispatcher, path: string, plan: RequestPlan, live: LiveRequests): Promise<Sample | undefined> {
  const state: LogicalState = { firstSentAt: undefined, firstToken: false, abandoned: false };
  let current: Exchange | undefined;
  let wake: (() => void) | undefined;
  const abandonTimer =
    plan.abandonAfterTtftMs === undefined
      ? undefined
      : at(plan.scheduled + plan.abandonAfterTtftMs, () => {
          if (state.firstToken) return;
          state.abandoned = true;
          current?.cancel("abandon");
          wake?.();
        });
  const log: AttemptRecord[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const exchange = new Exchange(plan, state, attempt);
      current = exchange;
      const node = live.add(exchange);
      const outcome = await exchange.send(dispatcher, path, live.timeouts(plan.timeoutMs));
      live.delete(node);
      current = undefined;
      const sample = outcome.sample;
      if (!sample) return undefined;
      if (attempt > 0) {
        sample.clientAttempts = attempt + 1;
        sample.attemptLog = log;
      }
      if (state.abandoned || !outcome.retry || attempt >= plan.retries) return sample;
      // openai-node: the server's retry-after when 0 ≤ t ≤ 60 s, else min(0.5·2^k, 8) s × (1 − rand·0.25).
      const after = outcome.retry.afterMs;
      const delay = after !== undefined && after >= 0 && after <= 60_000 ? after : Math.min(500 * 2 ** attempt, 8000) * (1 - plan.random() * 0.25);
      // Each attempt that is retried is kept, briefly, on the logical request's sample.
      const record: AttemptRecord = { status: sample.status, errorClass: sample.errorClass!, endedAt: r(sample.scheduledAt + sample.e2e), retryAfterMs: after ?? null, delayMs: r(delay) };
      if (sample.attempts !== undefined) record.attempts = sample.attempts;
      log.push(record);
      const stopped = await new Promise<CancelReason | undefined>((resolve) => {
        let node: ReturnType<LiveRequests["add"]>;
        const timer = setTimeout(() => done(undefined), delay);
        const done = (reason: CancelReason | undefined) => {
          clearTimeout(timer);
          live.delete(node);
          wake = undefined;
          resolve(reason);
        };
        wake = () => done(undefined);
        // A run already stopped cancels the wait at once (node is then undefined).
        node = live.add({ cancel: (reason) => done(reason) });
      });
      if (stopped === "run") return undefined;
      if (stopped === "drain") return sample;
      if (state.abandoned) {
        sample.errorClass = "timeout";
        sample.error = `abandoned: no first token within ${plan.abandonAfterTtftMs} ms (while waiting to retry after ${sample.error})`;
        sample.abandoned = true;
        sample.e2e = r(performance.now() - plan.scheduled);
        return sample;
      }
    }
  } finally {
    abandonTimer?.clear();
  }
}

interface LogicalState {
  /** When the first attempt was written to a socket. */
  firstSentAt: number | undefined;
  firstToken: boolean;
  abandoned: boolean;
}

const retryableStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/** One attempt, as an undici dispatch handler. */
class Exchange implements Dispatcher.DispatchHandler, DeadlineTarget {
  readonly #plan: RequestPlan;
  readonly #state: LogicalState;
  readonly #attempt: number;
  #controller: Dispatcher.DispatchController | undefined;
  #settle: ((outcome: Outcome) => void) | undefined;
  #settled = false;
  #outcome: Outcome | undefined;
  #timeouts: DeadlineQueue | undefined;
  #deadline: Deadline | undefined;
  #cancelledBy: CancelReason | "abandon" | "timeout" | undefined;

  // Measurement of this attempt.
  #sentAt: number | undefined;
  #status: number | null = null;
  #headersAt: number | undefined;
  #provider: string | undefined;
  #attempts: number | undefined;
  #retryAfterMs: number | undefined;
  #shouldRetry: boolean | undefined;
  #parser: SseParser | undefined;
  /** The body of an answer that is not a stream: the first chunk alone (the usual case), then all of them. */
  #first: Buffer | undefined;
  #body: Buffer[] | undefined;
  #bodyBytes = 0;
  readonly #answer: AnswerReading;

  constructor(plan: RequestPlan, state: LogicalState, attempt: number) {
    this.#plan = plan;
    this.#state = state;
    this.#attempt = attempt;
    this.#answer = new AnswerReading(plan.check !== undefined || plan.keepReply === true);
  }

  send(dispatcher: Dispatcher, path: string, timeouts: DeadlineQueue): Promise<Outcome> {
    // Cancelled before it was sent (the run stopped just as a retry was due): nothing to send.
    if (this.#settled) return Promise.resolve(this.#outcome ?? {});
    return new Promise<Outcome>((resolve) => {
      this.#settle = resolve;
      this.#timeouts = timeouts;
      this.#deadline = timeouts.add(this);
      const headers = this.#attempt > 0 ? { ...this.#plan.headers, "x-stainless-retry-count": String(this.#attempt) } : this.#plan.headers;
      try {
        dispatcher.dispatch({ path, method: "POST", headers, body: this.#plan.body }, this);
      } catch (err) {
        this.#end(this.#failure(classifyNetworkError(err), (err as Error).message), true);
      }
    });
  }

  /** The client timeout passed. */
  onDeadline(): void {
    this.cancel("timeout");
  }

  /**
   * Stops the attempt: the run was stopped (no sample), its drain ended (unanswered), the client
   * timeout fired, or the user abandoned it.
   */
  cancel(reason: CancelReason | "abandon" | "timeout"): void {
    if (this.#settled) return;
    this.#cancelledBy = reason;
    if (reason === "run") this.#end({}, false);
    else if (reason === "drain") this.#end(this.#failure("unanswered", "no answer when the run ended (it waited limits.drain after the last phase)"), false);
    else if (reason === "timeout") this.#end(this.#failure("timeout", `no complete answer within ${this.#plan.timeoutMs} ms`), true);
    else {
      const outcome = this.#failure("timeout", `abandoned: no first token within ${this.#plan.abandonAfterTtftMs} ms`);
      outcome.sample.abandoned = true;
      this.#end(outcome, false);
    }
    // Settled first: undici may report the abort synchronously, and that must not become the outcome.
    this.#controller?.abort(new Error(`aire: ${reason}`));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#sentAt = performance.now();
    this.#state.firstSentAt ??= this.#sentAt;
    if (this.#settled) controller.abort(new Error(`aire: ${this.#cancelledBy ?? "cancelled"}`));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.#status = status;
    this.#headersAt = performance.now();
    const provider = headers["x-aire-provider"];
    if (typeof provider === "string" && provider !== "") this.#provider = provider;
    const attempts = Number(headers["x-aire-attempts"]);
    if (Number.isInteger(attempts) && attempts > 0) this.#attempts = attempts;
    if (status >= 200 && status <= 299) {
      if (this.#plan.stream) this.#parser = new SseParser();
      return;
    }
    this.#retryAfterMs = retryAfterMs(headers);
    const should = headers["x-should-retry"];
    if (should === "true" || should === "false") this.#shouldRetry = should === "true";
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (!this.#parser) {
      // Bodies that are not streams are kept whole (errors only up to 16 KiB: enough for the message).
      if (this.#status !== null && (this.#status < 200 || this.#status > 299) && this.#bodyBytes > 16_384) return;
      if (this.#first === undefined) this.#first = chunk;
      else (this.#body ??= [this.#first]).push(chunk);
      this.#bodyBytes += chunk.length;
      return;
    }
    const answer = this.#answer;
    for (const event of this.#parser.push(chunk)) {
      const problem = answer.event(event.data);
      if (problem) {
        if (answer.firstToken !== undefined) this.#state.firstToken = true;
        this.#end(this.#failure(problem[0], problem[1]), true);
        controller.abort(new Error("aire: stream rejected"));
        return;
      }
    }
    if (answer.firstToken !== undefined) this.#state.firstToken = true;
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    const status = this.#status ?? 0;
    if (status < 200 || status > 299) {
      const errorClass: ErrorClass = status === 429 ? "http_429" : status < 500 ? "http_4xx" : "http_5xx";
      const outcome = this.#failure(errorClass, `HTTP ${status}${errorMessage(this.#bodyText())}`);
      const retry = this.#shouldRetry ?? retryableStatus(status);
      return this.#end(retry ? { ...outcome, retry: this.#retryAfterMs === undefined ? {} : { afterMs: this.#retryAfterMs } } : outcome, false);
    }
    if (!this.#parser) {
      const problem = this.#answer.json(this.#bodyText());
      if (!problem) this.#state.firstToken = true;
      return this.#end(problem ? this.#failure(problem[0], problem[1]) : this.#success(), false);
    }
    if (!this.#answer.done) return this.#end(this.#failure("truncated", "stream ended without [DONE]"), false);
    if (!this.#answer.finishReason) return this.#end(this.#failure("truncated", "stream ended without a finish_reason"), false);
    this.#end(this.#success(), false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#settled) return;
    // Broken before the response started: the client may retry (openai-node retries connection errors).
    const retryable = this.#status === null;
    this.#end(this.#failure(classifyNetworkError(err), err.message), retryable);
  }

  #end(outcome: Outcome, retryable: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#deadline) this.#timeouts!.clear(this.#deadline);
    if (retryable && outcome.sample && !outcome.retry) outcome.retry = {};
    this.#outcome = outcome;
    this.#settle?.(outcome);
  }

  #bodyText(): string {
    if (this.#body) return Buffer.concat(this.#body, this.#bodyBytes).toString("utf8");
    return this.#first === undefined ? "" : this.#first.toString("utf8");
  }

  #success(): Outcome {
    const sample = this.#sample(true);
    const { toolCall, text } = this.#answer;
    if (toolCall) sample.toolCall = toolCall.name;
    if (this.#plan.keepReply) sample.reply = toolCall ? { content: "", toolCall } : { content: text };
    const problem = this.#plan.check?.(text, sample);
    if (problem) {
      sample.ok = false;
      sample.errorClass = "quality";
      sample.error = problem;
    }
    return { sample };
  }

  #failure(errorClass: ErrorClass, message: string): Outcome & { sample: Sample } {
    const sample = this.#sample(false);
    sample.errorClass = errorClass;
    sample.error = message;
    return { sample };
  }

  #sample(ok: boolean): Sample {
    const end = performance.now();
    const { scheduled, origin } = this.#plan;
    const answer = this.#answer;
    const tokens = answer.usageTokens ?? answer.chunks;
    const sent = this.#state.firstSentAt ?? end;
    const sample: Sample = {
      id: this.#plan.id,
      phase: this.#plan.phase,
      workload: this.#plan.workload,
      scheduledAt: r(scheduled - origin),
      dispatchedAt: r((this.#plan.dispatched ?? scheduled) - origin),
      sentAt: r(sent - origin),
      status: this.#status,
      ok,
      e2e: r(end - scheduled),
      e2eService: r(end - sent),
      outputTokens: tokens,
      tokenSource: answer.usageTokens === undefined ? "counted" : "usage",
    };
    if (this.#plan.tenant) sample.tenant = this.#plan.tenant;
    if (this.#plan.session !== undefined) {
      sample.session = this.#plan.session;
      sample.turn = this.#plan.turn ?? 0;
    }
    const promptTokens = answer.usagePrompt ?? this.#plan.promptTokens;
    if (promptTokens !== undefined) sample.promptTokens = promptTokens;
    if (answer.model !== undefined) sample.model = answer.model;
    if (this.#headersAt !== undefined) sample.ttfb = r(this.#headersAt - scheduled);
    if (answer.firstToken !== undefined) {
      sample.ttft = r(answer.firstToken - scheduled);
      sample.ttftService = r(answer.firstToken - sent);
      // DESIGN.md: tpot = (e2e − ttft) / (output_tokens − 1), streamed answers of 2 or more tokens.
      if (tokens >= 2 && this.#plan.stream) sample.tpot = r((end - answer.firstToken) / (tokens - 1));
      if (answer.chunks >= 2) {
        sample.maxStall = r(answer.maxStall);
        if (answer.gaps) sample.gaps = answer.gaps;
      }
    }
    if (answer.finishReason) sample.finishReason = answer.finishReason;
    if (this.#provider) sample.provider = this.#provider;
    if (this.#attempts) sample.attempts = this.#attempts;
    return sample;
  }
}

/** The server's retry delay: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date (openai-node's order). */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = headers["retry-after-ms"];
  if (typeof ms === "string") {
    const v = Number.parseFloat(ms);
    if (Number.isFinite(v)) return v;
  }
  const after = headers["retry-after"];
  if (typeof after !== "string") return undefined;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isFinite(date) ? date - Date.now() : undefined;
}

export function classifyNetworkError(err: unknown): ErrorClass {
  const code = (err as { code?: string }).code ?? "";
  const cause = ((err as { cause?: { code?: string } }).cause?.code) ?? "";
  if (["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "ENOTFOUND", "EHOSTUNREACH"].includes(code) || cause === "ECONNREFUSED") return "connect";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return "timeout";
  return "reset";
}

function errorMessage(body: string): string {
  if (body === "") return "";
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === "string" ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === "string" ? parsed.error.message.slice(0, 200) : undefined;
    return code || message ? `: ${[code, message].filter(Boolean).join(": ")}` : "";
  } catch {
    return "";
  }
}

const r = (ms: number) => Math.round(ms * 1000) / 1000;
