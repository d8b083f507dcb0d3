/**
 * Sends one chat completion and measures it chunk by chunk as the SSE arrives (never buffered):
 * ttfb, ttft, tpot, the largest stall and e2e, from both the intended and the actual send time.
 * @module
 */
import type { Dispatcher } from "undici";
import type { ErrorClass } from "../slo/expression.js";
import { chunkContent, SseParser } from "../sse/parser.js";
import type { Sample } from "../metrics/sample.js";

export interface RequestPlan {
  id: number;
  phase: string;
  workload: string;
  /** performance.now() of the intended send time. */
  scheduled: number;
  /** performance.now() of the traffic start (sample times are relative to it). */
  origin: number;
  body: string;
  stream: boolean;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Thrown into the request when the run stops; such a request is not a sample. */
export class Cancelled extends Error {}

export async function sendRequest(dispatcher: Dispatcher, path: string, plan: RequestPlan, runSignal: AbortSignal): Promise<Sample | undefined> {
  const sent = performance.now();
  const timeout = AbortSignal.timeout(plan.timeoutMs);
  const signal = AbortSignal.any([runSignal, timeout]);
  const m = new Measure(plan, sent);
  try {
    const response = await dispatcher.request({ path, method: "POST", headers: { "content-type": "application/json", ...plan.headers }, body: plan.body, signal });
    m.headers(response.statusCode, response.headers);
    if (response.statusCode < 200 || response.statusCode > 299) {
      await response.body.dump();
      return m.finish(response.statusCode === 429 ? "http_429" : response.statusCode < 500 ? "http_4xx" : "http_5xx", `HTTP ${response.statusCode}`);
    }
    if (!plan.stream) {
      const text = await response.body.text();
      return m.finishJson(text);
    }
    const parser = new SseParser();
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      for (const event of parser.push(chunk)) {
        const problem = m.event(event.data);
        if (problem) {
          response.body.destroy();
          return m.finish(problem.errorClass, problem.message);
        }
      }
    }
    return m.finishStream();
  } catch (err) {
    if (runSignal.aborted && !timeout.aborted) return undefined;
    if (timeout.aborted) return m.finish("timeout", `no complete answer within ${plan.timeoutMs} ms`);
    return m.finish(classifyNetworkError(err), (err as Error).message);
  }
}

export function classifyNetworkError(err: unknown): ErrorClass {
  const code = (err as { code?: string }).code ?? "";
  const cause = ((err as { cause?: { code?: string } }).cause?.code) ?? "";
  if (["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "ENOTFOUND", "EHOSTUNREACH"].includes(code) || cause === "ECONNREFUSED") return "connect";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return "timeout";
  return "reset";
}

class Measure {
  readonly #plan: RequestPlan;
  readonly #sent: number;
  #status: number | null = null;
  #ttfb: number | undefined;
  #firstToken: number | undefined;
  #lastToken: number | undefined;
  #maxStall = 0;
  #chunks = 0;
  #usageTokens: number | undefined;
  #finishReason: string | undefined;
  #done = false;
  #provider: string | undefined;
  #attempts: number | undefined;

  constructor(plan: RequestPlan, sent: number) {
    this.#plan = plan;
    this.#sent = sent;
  }

  headers(status: number, headers: Dispatcher.ResponseData["headers"]): void {
    this.#status = status;
    this.#ttfb = performance.now();
    const provider = headers["x-aire-provider"];
    if (typeof provider === "string" && provider !== "") this.#provider = provider;
    const attempts = Number(headers["x-aire-attempts"]);
    if (Number.isInteger(attempts) && attempts > 0) this.#attempts = attempts;
  }

  /** Takes one SSE data payload; returns a problem that ends the request, if any. */
  event(data: string): { errorClass: ErrorClass; message: string } | undefined {
    if (this.#done) return undefined;
    if (data === "[DONE]") {
      this.#done = true;
      return undefined;
    }
    let chunk: { error?: { message?: string }; choices?: { finish_reason?: string | null }[] | null; usage?: { completion_tokens?: number } | null };
    try {
      chunk = JSON.parse(data);
    } catch {
      return { errorClass: "malformed", message: "a stream chunk is not valid JSON" };
    }
    if (chunk.error) return { errorClass: "truncated", message: `error event in stream: ${chunk.error.message ?? "unknown"}` };
    const now = performance.now();
    if (chunkContent(chunk) !== "") {
      this.#chunks++;
      if (this.#firstToken === undefined) this.#firstToken = now;
      else this.#maxStall = Math.max(this.#maxStall, now - this.#lastToken!);
      this.#lastToken = now;
    }
    const reason = Array.isArray(chunk.choices) ? chunk.choices[0]?.finish_reason : undefined;
    if (reason) this.#finishReason = reason;
    if (typeof chunk.usage?.completion_tokens === "number") this.#usageTokens = chunk.usage.completion_tokens;
    return undefined;
  }

  finishStream(): Sample {
    if (!this.#done) return this.finish("truncated", "stream ended without [DONE]");
    if (!this.#finishReason) return this.finish("truncated", "stream ended without a finish_reason");
    return this.#sample(true);
  }

  finishJson(text: string): Sample {
    try {
      const body = JSON.parse(text) as { choices?: { message?: { content?: string }; finish_reason?: string }[]; usage?: { completion_tokens?: number } };
      const choice = body.choices?.[0];
      if (!choice || typeof choice.message?.content !== "string") return this.finish("malformed", "response has no choices[0].message.content");
      this.#firstToken = performance.now();
      this.#lastToken = this.#firstToken;
      this.#finishReason = choice.finish_reason;
      this.#usageTokens = body.usage?.completion_tokens;
      this.#chunks = choice.message.content.split(/\s+/).filter(Boolean).length;
      return this.#sample(true);
    } catch {
      return this.finish("malformed", "response body is not valid JSON");
    }
  }

  finish(errorClass: ErrorClass, message: string): Sample {
    return { ...this.#sample(false), errorClass, error: message };
  }

  #sample(ok: boolean): Sample {
    const end = performance.now();
    const { scheduled, origin } = this.#plan;
    const tokens = this.#usageTokens ?? this.#chunks;
    const ttft = this.#firstToken === undefined ? undefined : this.#firstToken - scheduled;
    const e2e = end - scheduled;
    const sample: Sample = {
      id: this.#plan.id,
      phase: this.#plan.phase,
      workload: this.#plan.workload,
      scheduledAt: r(scheduled - origin),
      sentAt: r(this.#sent - origin),
      status: this.#status,
      ok,
      e2e: r(e2e),
      e2eService: r(end - this.#sent),
      outputTokens: tokens,
      tokenSource: this.#usageTokens === undefined ? "counted" : "usage",
    };
    if (this.#ttfb !== undefined) sample.ttfb = r(this.#ttfb - scheduled);
    if (ttft !== undefined) {
      sample.ttft = r(ttft);
      sample.ttftService = r(this.#firstToken! - this.#sent);
      if (tokens >= 2 && this.#plan.stream) sample.tpot = r((this.#lastToken! - this.#firstToken!) / (tokens - 1));
      if (this.#chunks >= 2) sample.maxStall = r(this.#maxStall);
    }
    if (this.#finishReason) sample.finishReason = this.#finishReason;
    if (this.#provider) sample.provider = this.#provider;
    if (this.#attempts) sample.attempts = this.#attempts;
    return sample;
  }
}

const r = (ms: number) => Math.round(ms * 1000) / 1000;
