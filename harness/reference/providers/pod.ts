/**
 * One GPU pod serving chat completions on its {@link PodEngine}: admission (slot, queue or refusal),
 * prefill, decode at the batch-dependent rate, and every pod-level behaviour (TTFT inflation,
 * decode slowdown, stream cut, stall, malformed chunk, error event after a 200, degraded content,
 * wrong usage counts, slot loss).
 * @module
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { at } from "../../base/lifecycle/sleep.js";
import { seededRandom, type Random } from "../../base/random/prng.js";
import { AnswerBook } from "./answer.js";
import type { Behaviour, BehaviourSet } from "./behaviours.js";
import type { ProviderConfig } from "./config.js";
import { PodEngine } from "./engine.js";
import { PodMetrics } from "./metrics.js";
import { ChunkWriter, completionBody, DONE_FRAME, errorBody, usage, type ChatRequest } from "../../base/wire/openai-wire.js";

export interface CompletionRequest extends ChatRequest {
  responseFormat: unknown;
  /** `tools` and `tool_choice` as sent. */
  tools?: unknown;
  toolChoice?: unknown;
}

export class Pod {
  readonly engine: PodEngine;
  readonly metrics: PodMetrics;
  readonly #answers: AnswerBook;
  readonly #random: Random;

  constructor(
    readonly config: ProviderConfig,
    readonly behaviours: BehaviourSet,
  ) {
    this.engine = new PodEngine(config, behaviours);
    this.metrics = new PodMetrics(config.model, this.engine);
    this.#answers = new AnswerBook(config.seed, config.outputTokens);
    this.#random = seededRandom(config.seed ^ 0x5bd1e995);
  }

  /** The behaviours of `type` that hit this request (each rolled against its fraction). */
  #hit<T extends Behaviour["type"]>(type: T): Extract<Behaviour, { type: T }> | undefined {
    return this.behaviours.of(type).find((b) => !("fraction" in b) || this.#random() < (b as { fraction: number }).fraction);
  }

  /** Serves one validated request on `res`; resolves when the response is finished or abandoned. */
  async serve(request: CompletionRequest, res: ServerResponse, promptTokens: number): Promise<void> {
    const { config } = this;
    const requested = request.maxTokens ?? 0;
    if (promptTokens + requested > config.contextWindow) {
      return json(res, 400, errorBody(`This model's maximum context length is ${config.contextWindow} tokens. However, you requested ${promptTokens + requested} tokens (${promptTokens} in the messages, ${requested} in the completion). Please reduce the length of the messages or completion.`, "invalid_request_error", "context_length_exceeded", "messages"));
    }
    const arrived = performance.now();
    const closed = new AbortController();
    res.once("close", () => closed.abort());
    const admitted = this.engine.admit(closed.signal);
    if (!admitted) {
      return config.queueFullStatus === 429
        ? json(res, 429, errorBody("The engine is currently overloaded, please try again later.", "requests", "rate_limit_exceeded"), { "retry-after": "1", "retry-after-ms": "1000" })
        : json(res, 503, errorBody("The server is overloaded or not ready yet.", "server_error", "server_overloaded"), { "retry-after": "1" });
    }
    const ttft = this.#hit("ttft");
    const slowdown = this.#hit("decode-slowdown")?.factor ?? 1;
    const degrade = this.#hit("degrade")?.mode;
    const plan = this.#answers.plan(request.messages, request.maxTokens, request.responseFormat, degrade, { tools: request.tools, choice: request.toolChoice });
    const id = `chatcmpl-${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const headers = { "x-request-id": `req_${randomUUID().replaceAll("-", "")}`, "openai-version": "2020-10-01", "openai-organization": "org-aire" };
    const writer = new ChunkWriter(id, created, config.model);
    if (request.stream) {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers });
      res.write(writer.role());
    }
    let lease;
    try {
      lease = await admitted;
    } catch {
      return; // the client went away while queued
    }
    try {
      const prefill = (config.ttftMs * (ttft?.factor ?? 1) + (ttft?.addMs ?? 0) + (promptTokens / config.prefillTokensPerSec) * 1000);
      if (!(await wait(prefill, closed.signal))) return;
      const wrongUsage = this.#hit("wrong-usage");
      const reported = (n: number) => (wrongUsage ? Math.max(0, Math.round(n * wrongUsage.factor) + wrongUsage.offset) : n);
      // Token i is due one interval after token i−1 was due (not after it was sent): timer lateness
      // does not accumulate, while the interval still follows the batch as it changes.
      let due = performance.now();
      const nextToken = () => {
        due += this.engine.tokenInterval(slowdown);
        return wait(due - performance.now(), closed.signal);
      };
      const firstToken = performance.now() - arrived;
      const done = () => this.metrics.finished(firstToken, performance.now() - arrived, promptTokens, plan.tokens.length, plan.finish);
      if (!request.stream) {
        for (let i = 1; i < plan.tokens.length; i++) if (!(await nextToken())) return;
        done();
        const text = plan.tokens.join("");
        return json(res, 200, completionBody(id, created, config.model, text, plan.finish, usage(reported(promptTokens), reported(plan.tokens.length)), plan.toolCall), headers);
      }
      const cut = this.#hit("stream-cut");
      const stall = this.#hit("stream-stall");
      const malformed = this.#hit("malformed-chunk");
      const errorEvent = this.#hit("error-event");
      for (let i = 0; i < plan.tokens.length; i++) {
        if (cut && i === 0 && cut.afterTokens === 0) return await breakConnection(res);
        if (errorEvent && i === errorEvent.afterTokens) {
          res.end(`data: ${JSON.stringify(errorBody("The server had an error while processing your request.", "server_error", "internal_error"))}\n\n`);
          return;
        }
        if (stall && i === stall.atToken) {
          if (!(await wait(stall.durationMs, closed.signal))) return;
          due += stall.durationMs;
        }
        if (malformed && i === malformed.atToken) res.write(`data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\n\n`);
        if (i > 0 && !(await nextToken())) return;
        // The connection dies when the token after the last one sent was due, as a crashed pod's would.
        if (cut && i === cut.afterTokens) return await breakConnection(res);
        if (plan.toolCall) {
          if (i === 0) res.write(writer.toolCallStart(plan.toolCall.id, plan.toolCall.name));
          res.write(writer.toolCallArguments(plan.tokens[i]!));
        } else res.write(writer.content(plan.tokens[i]!));
      }
      if (cut && cut.afterTokens >= plan.tokens.length) return await breakConnection(res);
      done();
      res.write(writer.finish(plan.finish));
      if (request.includeUsage) res.write(writer.usage(usage(reported(promptTokens), reported(plan.tokens.length))));
      res.end(DONE_FRAME);
    } finally {
      lease.release();
    }
  }
}

/**
 * Waits `ms`, never less (Node's timers can fire up to a millisecond early: a TTFT of 200 ms came
 * at 199.95 ms, a provider faster than it was told to be); false when the client went away first.
 */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.clear();
      resolve(false);
    };
    const timer = at(performance.now() + ms, () => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Breaks the connection under a response, as a crashed server's breaks, once what was written
 * before has reached the socket. Node holds back a chunked response's writes (corks them) until
 * the next tick: destroying right after a write drops them, so a stream cut "after 5 tokens" whose
 * tokens were written back to back (a busy pod's timers run late) delivered none. A client that
 * stops reading cannot hold the break back: after `maxWaitMs` it happens with what is unsent.
 */
export function breakConnection(res: ServerResponse, maxWaitMs = 1000): Promise<void> {
  const socket = res.socket;
  if (!socket || socket.destroyed) {
    res.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const cut = () => {
      clearTimeout(timer);
      res.destroy();
      resolve();
    };
    const timer = setTimeout(cut, maxWaitMs);
    // Writes complete in order: this empty one's callback runs once the earlier ones were written,
    // or with an error when the socket broke first.
    socket.write("", cut);
  });
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
