/**
 * The reference gateway's core: a pure request → response handler over an `Upstream`. It knows
 * nothing of sockets, so its policies are testable without any; `http-adapter.ts` puts it on
 * `node:http`.
 *
 * One chat request goes through: API key → body checks → route → client rate limit → concurrency
 * limit → attempts. Each attempt goes to a provider chosen by the route's balancer among those
 * whose circuit breaker lets it through and that are not cooling down after a `retry-after`.
 * After a retryable failure the next attempt goes to a provider not tried yet (fallback), at once;
 * going back to one already tried waits its backoff or its `retry-after`, whichever is longer,
 * and takes a token from the retry budget. A stream that fails before its first content token is
 * retried like any other attempt; after tokens were sent, it ends with an SSE error event.
 * @module
 */
import { randomUUID } from "node:crypto";
import { sleep } from "../../base/lifecycle/sleep.js";
import { parseChatRequest, type ChatRequest } from "../../base/wire/openai-wire.js";
import { RateLimiter } from "../../base/wire/rate-limit.js";
import { seededRandom } from "../../base/random/prng.js";
import { attempt, StreamFailure, type AttemptOutcome, type Failed } from "./attempt.js";
import type { GatewayConfig, Route } from "./config.js";
import { GatewayError } from "./gateway-error.js";
import { GatewayMetrics, type AttemptResult } from "./metrics.js";
import { ConcurrencyLimiter } from "./policy/admission.js";
import { createBalancer, PeakEwma, type Balancer } from "./policy/balancer.js";
import { CircuitBreaker, type BreakerPermit, type BreakerState } from "./policy/breaker.js";
import { backoffMs, RetryBudget, retryAfterMs } from "./policy/retry.js";
import type { Upstream } from "./upstream.js";
import type { Abort, Cancellation } from "./abort.js";

export const CHAT_PATH = "/v1/chat/completions";

export interface GatewayRequest {
  method: string;
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body; `undefined` when it was larger than `bodyLimit` (the adapter stops reading). */
  body: Buffer | undefined;
}

export type Headers = Record<string, string | number>;

export type GatewayResponse =
  | { status: number; headers: Headers; body: string | Buffer; stream?: undefined }
  | { status: 200; headers: Headers; stream: ResponseStream; body?: undefined };

/**
 * A streamed body. Iterate it to the end, or stop early (`break` in `for await`); a stream that
 * will not be iterated at all must be `cancel()`ed, so its upstream and its slot are let go.
 */
export interface ResponseStream extends AsyncIterable<Buffer | string> {
  cancel(): void;
}

interface ProviderState {
  name: string;
  model: string;
  breaker: CircuitBreaker | undefined;
  ewma: PeakEwma;
  inFlight: number;
  /** performance.now() before which the provider asked not to be called (its `retry-after`). */
  coolUntil: number;
}

type StreamOutcome = Extract<AttemptOutcome, { kind: "stream" }>;

interface ForwardState {
  verdict: "success" | "failure" | undefined;
  errorType: string;
}

interface Tenant {
  name: string;
  limiter: RateLimiter | undefined;
  countTokens: boolean;
}

const USAGE = Buffer.from('"usage":{');

/** A `retry-after` longer than this is not believed (a provider asking for a day off). */
const MAX_COOLDOWN_MS = 10 * 60_000;

export class GatewayCore {
  readonly metrics: GatewayMetrics;
  readonly #config: GatewayConfig;
  readonly #upstream: Upstream;
  readonly #providers = new Map<string, ProviderState>();
  readonly #balancers = new Map<string, Balancer>();
  readonly #tenants = new Map<string, Tenant>();
  readonly #anonymous: Tenant = { name: "anonymous", limiter: undefined, countTokens: false };
  readonly #budget: RetryBudget | undefined;
  readonly #admission: ConcurrencyLimiter | undefined;
  readonly #random: () => number;
  readonly #modelsBody: string;
  #inFlight = 0;
  /** The tokenizer takes ~1 s to load: only a gateway with a TPM limit loads it (in the background, at start). */
  #countTokens: Promise<(messages: ChatRequest["messages"]) => number> | undefined;

  constructor(config: GatewayConfig, upstream: Upstream) {
    this.#config = config;
    this.#upstream = upstream;
    const { policy } = config;
    this.#random = seededRandom(config.seed);
    this.metrics = new GatewayMetrics({
      inFlight: () => this.#inFlight,
      queued: () => this.#admission?.queued ?? 0,
      providerInFlight: (p) => this.#providers.get(p)?.inFlight ?? 0,
      breakerState: (p) => this.#providers.get(p)?.breaker?.state,
      providers: config.providers.map((p) => p.name),
    });
    for (const p of config.providers) {
      // Max ejection (Envoy's max_ejection_percent): a breaker may open only while fewer than
      // maxOpen of the providers are open (at least one may always open).
      const mayOpen = () => {
        const open = [...this.#providers.values()].filter((q) => q.breaker !== undefined && q.breaker.state !== "closed").length;
        if (open < Math.max(1, Math.floor(policy.breaker!.maxOpen * config.providers.length))) return true;
        this.metrics.breakerOpenRefused.inc({ provider: p.name });
        return false;
      };
      const breaker = policy.breaker && new CircuitBreaker(policy.breaker, (from, to) => this.metrics.breakerTransitions.inc({ provider: p.name, from, to }), undefined, mayOpen);
      this.#providers.set(p.name, { name: p.name, model: p.model, breaker, ewma: new PeakEwma(policy.ewmaDecayMs), inFlight: 0, coolUntil: 0 });
    }
    const load = { inFlight: (p: string) => this.#providers.get(p)!.inFlight, ewmaMs: (p: string) => this.#providers.get(p)!.ewma.value };
    for (const [model, route] of config.routes) this.#balancers.set(model, createBalancer(route.balance, route.targets, load, this.#random));
    for (const k of config.auth?.keys ?? []) {
      const limited = policy.keyLimits && (k.rpm !== undefined || k.tpm !== undefined);
      this.#tenants.set(k.key, { name: k.name, limiter: limited ? new RateLimiter({ rpm: k.rpm, tpm: k.tpm }, "the gateway", undefined, `tenant ${k.name}`) : undefined, countTokens: limited && k.tpm !== undefined });
    }
    if ([...this.#tenants.values()].some((t) => t.countTokens)) this.#countTokens = import("../../base/wire/tokens.js").then((m) => (m.loadTokenizer(), m.countChatTokens));
    this.#budget = policy.retries.budget && new RetryBudget(policy.retries.budget);
    this.#admission = policy.concurrency && new ConcurrencyLimiter(policy.concurrency);
    this.#modelsBody = JSON.stringify({ object: "list", data: [...config.routes.keys()].map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "aire-gateway" })) });
  }

  /** Breaker state and load per provider, for `/admin/state`-style introspection and tests. */
  providerState(name: string): { breaker: BreakerState | "none"; inFlight: number; ewmaMs: number; coolingMs: number } | undefined {
    const p = this.#providers.get(name);
    if (!p) return undefined;
    return { breaker: p.breaker?.state ?? "none", inFlight: p.inFlight, ewmaMs: p.ewma.value, coolingMs: Math.max(0, p.coolUntil - performance.now()) };
  }

  /**
   * `abort` is the request's one controller: the caller aborts it when the client goes away; the
   * core aborts it itself at the total timeout (one controller per request keeps the hot path cheap).
   */
  async handle(req: GatewayRequest, abort: Abort): Promise<GatewayResponse> {
    const requestId = first(req.headers["x-request-id"]) ?? `gw-${randomUUID()}`;
    const path = req.url.split("?", 1)[0]!;
    if (req.method === "GET" || req.method === "HEAD") {
      if (path === "/healthz") return json(200, '{"status":"ok"}', { "x-request-id": requestId });
      if (path === "/readyz") return this.#readiness(requestId);
      if (path === "/metrics") return { status: 200, headers: { "content-type": this.metrics.registry.contentType }, body: await this.metrics.registry.metrics() };
      if (path === "/v1/models") return json(200, this.#modelsBody, { "x-request-id": requestId });
    }
    const none = { "x-request-id": requestId, "x-aire-provider": "", "x-aire-attempts": "0" };
    if (path !== CHAT_PATH) return errorResponse(new GatewayError(404, "invalid_request_error", "unknown_url", `Unknown request URL: ${req.method} ${path}.`), none);
    if (req.method !== "POST") return errorResponse(new GatewayError(405, "invalid_request_error", null, `Method ${req.method} not allowed.`), { ...none, allow: "POST" });
    const started = performance.now();
    const [response, model = ""] = await this.#chat(req, requestId, none, abort);
    this.metrics.requests.inc({ model, status: String(response.status) });
    if (response.stream === undefined) {
      this.metrics.duration.observe({ gen_ai_operation_name: "chat", gen_ai_request_model: model, gen_ai_provider_name: String(response.headers["x-aire-provider"] ?? ""), error_type: response.status === 200 ? "" : String(response.status) }, (performance.now() - started) / 1000);
    }
    return response;
  }

  async #chat(req: GatewayRequest, requestId: string, none: Headers, abort: Abort): Promise<[GatewayResponse, string?]> {
    let tenant = this.#anonymous;
    if (this.#config.auth) {
      const key = /^Bearer\s+(.+)$/i.exec(first(req.headers.authorization) ?? "")?.[1];
      const found = key === undefined ? undefined : this.#tenants.get(key);
      if (!found) {
        const message = key === undefined ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)." : `Incorrect API key provided: ${redact(key)}.`;
        return [errorResponse(new GatewayError(401, "invalid_request_error", "invalid_api_key", message), none)];
      }
      tenant = found;
    }
    if (req.body === undefined) return [errorResponse(new GatewayError(413, "invalid_request_error", "request_too_large", `Request body too large: the limit is ${this.#config.bodyLimit} bytes.`), none)];
    let body: Record<string, unknown>;
    const raw = req.body.toString("utf8");
    try {
      body = JSON.parse(raw);
    } catch {
      return [errorResponse(new GatewayError(400, "invalid_request_error", null, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)"), none)];
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return [errorResponse(new GatewayError(400, "invalid_request_error", null, parsed.message, parsed.param), none)];
    const chat = parsed.value;
    const route = this.#config.routes.get(chat.model);
    if (!route) return [errorResponse(new GatewayError(404, "invalid_request_error", "model_not_found", `The model \`${chat.model}\` does not exist or you do not have access to it.`, "model"), none)];

    let rateHeaders: Record<string, string> = {};
    if (tenant.limiter) {
      const promptTokens = tenant.countTokens ? (await this.#countTokens!)(chat.messages) : 0;
      const decision = tenant.limiter.check(tenant.name, promptTokens + (chat.maxTokens ?? 0));
      if (!decision.ok) {
        this.metrics.rateLimited.inc({ tenant: tenant.name, limit: decision.limitedBy });
        return [errorResponse(new GatewayError(429, decision.limitedBy, "rate_limit_exceeded", decision.message), { ...none, ...decision.headers }), chat.model];
      }
      rateHeaders = decision.headers;
    }

    let release = () => {};
    if (this.#admission) {
      const admitted = await this.#admission.acquire(abort.signal);
      if (!admitted.ok) {
        if (admitted.reason !== "aborted") this.metrics.shed.inc({ reason: admitted.reason });
        const why = admitted.reason === "queue_full" ? "too many requests in flight and queued" : admitted.reason === "queue_timeout" ? `no capacity within ${this.#config.policy.concurrency!.queueTimeoutMs} ms` : "client went away";
        return [errorResponse(new GatewayError(503, "server_error", "overloaded", `The gateway is overloaded (${why}); retry later.`), { ...none, "retry-after": "1", "x-aire-shed": admitted.reason }), chat.model];
      }
      release = admitted.release;
    }
    this.#inFlight++;
    const done = once(() => {
      this.#inFlight--;
      release();
    });
    let streaming = false;
    try {
      const response = await this.#attempts(route, payloadFor(raw, body, chat.model), chat, requestId, rateHeaders, abort, done);
      streaming = response.stream !== undefined;
      return [response, chat.model];
    } finally {
      // A stream keeps its slot until it ends (or is cancelled); `done` then runs from the stream.
      if (!streaming) done();
    }
  }

  async #attempts(route: Route, payload: (model: string) => string, chat: ChatRequest, requestId: string, rateHeaders: Record<string, string>, abort: Abort, done: () => void): Promise<GatewayResponse> {
    const totalMs = this.#config.policy.timeouts.totalMs;
    let total: { aborted: boolean; clear(): void } | undefined;
    if (totalMs !== undefined) {
      const timer = setTimeout(() => {
        total!.aborted = true;
        abort.abort(new Error(`total timeout ${totalMs} ms`));
      }, totalMs);
      total = { aborted: false, clear: () => clearTimeout(timer) };
    }
    this.#budget?.request();
    let response: GatewayResponse | undefined;
    try {
      response = await this.#attemptLoop(route, payload, chat, requestId, rateHeaders, abort.signal, total, done);
      return response;
    } finally {
      if (response?.stream === undefined) total?.clear(); // a stream clears it when it ends
    }
  }

  async #attemptLoop(
    route: Route,
    payloadFor: (model: string) => string,
    chat: ChatRequest,
    requestId: string,
    rateHeaders: Record<string, string>,
    signal: Cancellation,
    total: { aborted: boolean; clear(): void } | undefined,
    done: () => void,
  ): Promise<GatewayResponse> {
    const { policy } = this.#config;
    const totalMs = policy.timeouts.totalMs;

    const now = () => performance.now();
    let plan = this.#balancers.get(route.model)!.order((name) => eligible(this.#providers.get(name)!));
    if (!policy.fallback) plan = plan.slice(0, 1);

    const tried = new Map<string, number>();
    let attempts = 0;
    let last: { provider: string; failure: Failed } | undefined;
    let stop: GatewayError | undefined;
    let budgetSpent = false;
    const headers = (provider: string): Headers => ({ "x-request-id": requestId, "x-aire-provider": provider, "x-aire-attempts": String(attempts), ...rateHeaders });

    while (attempts < policy.retries.maxAttempts && !signal.aborted) {
      const choice = this.#choose(plan, tried);
      if (!choice) {
        stop = this.#noProvider(plan);
        break;
      }
      if (attempts > 0) {
        if (this.#budget && !this.#budget.tryRetry()) {
          this.metrics.budgetExhausted.inc();
          budgetSpent = true;
          break;
        }
        this.metrics.retries.inc({ provider: choice.p.name, kind: tried.has(choice.p.name) ? "retry" : "fallback" });
      }
      if (choice.waitMs > 0) {
        try {
          await sleep(choice.waitMs, signal);
        } catch {
          break;
        }
      }
      const permit = choice.p.breaker?.acquire();
      if (choice.p.breaker && !permit) continue; // the breaker closed its door while we waited; choose again
      const p = choice.p;
      tried.set(p.name, (tried.get(p.name) ?? 0) + 1);
      attempts++;
      p.inFlight++;
      const startedAt = now();
      const payload = payloadFor(p.model);
      const outcome = await attempt(this.#upstream, p.name, payload, chat.stream, policy.timeouts, signal);
      this.metrics.attempts.inc({ provider: p.name, result: attemptResult(outcome) });

      if (outcome.kind === "complete") {
        p.inFlight--;
        p.ewma.observe(outcome.firstByteMs);
        permit?.success();
        this.#observeTokens(route.model, p.name, outcome.body);
        return { status: 200, headers: { "content-type": "application/json", ...headers(p.name) }, body: outcome.body };
      }
      if (outcome.kind === "stream") {
        p.ewma.observe(outcome.firstTokenMs);
        this.metrics.firstChunk.observe({ gen_ai_operation_name: "chat", gen_ai_request_model: route.model, gen_ai_provider_name: p.name }, outcome.firstTokenMs / 1000);
        // The provider answered: its breaker hears it now, as it hears a failure when it happens.
        permit?.success();
        return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers(p.name) }, stream: this.#stream(outcome, p, permit, route.model, startedAt, total, done) };
      }
      last = { provider: p.name, failure: outcome };
      this.#failed(p, permit, outcome, startedAt);
      if (!retryable(outcome)) break;
    }

    const provider = last?.provider ?? "";
    const reason = total?.aborted ? "total_timeout" : signal.aborted ? "client_closed" : undefined;
    return failedResponse({ reason, totalMs, stop, last, budgetSpent, discourageClientRetry: policy.retries.discourageClientRetry && (attempts > 1 || budgetSpent), headers: headers(provider) });
  }

  /** The next attempt's provider: one not tried yet and usable now (no wait); else the one usable soonest. */
  #choose(plan: readonly string[], tried: ReadonlyMap<string, number>): { p: ProviderState; waitMs: number } | undefined {
    const { retries: policy } = this.#config.policy;
    for (const name of plan) {
      const p = this.#providers.get(name)!;
      if (!tried.has(name) && eligible(p)) return { p, waitMs: 0 };
    }
    let choice: { p: ProviderState; waitMs: number } | undefined;
    for (const name of plan) {
      const p = this.#providers.get(name)!;
      if (!usable(p)) continue;
      const cooling = Math.max(0, p.coolUntil - performance.now());
      if (cooling > policy.retryAfterCapMs) continue;
      const retries = tried.get(name) ?? 0;
      const waitMs = Math.max(cooling, retries === 0 ? 0 : backoffMs(retries - 1, policy.backoffBaseMs, policy.backoffMaxMs, this.#random));
      if (!choice || waitMs < choice.waitMs) choice = { p, waitMs };
    }
    return choice;
  }

  /** What a failed attempt teaches: the breaker's verdict, the latency estimate, a retry-after cool-down. */
  #failed(p: ProviderState, permit: BreakerPermit | undefined, outcome: Failed, startedAt: number): void {
    p.inFlight--;
    const verdict = breakerVerdict(outcome);
    if (verdict === "failure") permit?.failure();
    else if (verdict === "success") permit?.success();
    else permit?.release();
    if (outcome.reason !== "aborted") p.ewma.observe(Math.max(performance.now() - startedAt, 2 * p.ewma.value));
    const hinted = outcome.headers ? retryAfterMs(outcome.headers) : undefined;
    // A gateway that never waits for retry-after (cap 0: the naive profile) does not track cool-downs either: it just forwards.
    if (hinted !== undefined && (outcome.status === 429 || outcome.status === 503) && hinted <= MAX_COOLDOWN_MS && this.#config.policy.retries.retryAfterCapMs > 0) p.coolUntil = Math.max(p.coolUntil, performance.now() + hinted);
  }

  /** Why no provider could be chosen: all breakers open, or all cooling down beyond the cap. */
  #noProvider(plan: string[]): GatewayError {
    const states = plan.map((n) => this.#providers.get(n)!);
    const open = states.filter((p) => p.breaker && !p.breaker.allows);
    if (open.length === states.length) {
      const wait = Math.min(...open.map((p) => p.breaker!.remainingOpenMs));
      return Object.assign(new GatewayError(503, "server_error", "circuit_open", `Every provider of this route is failing (circuit breakers open: ${open.map((p) => p.name).join(", ")}); retry later.`), { retryAfterMs: wait });
    }
    const wait = Math.min(...states.filter((p) => !open.includes(p)).map((p) => p.coolUntil - performance.now()));
    return Object.assign(new GatewayError(429, "requests", "rate_limit_exceeded", `Every provider of this route asked to be left alone for longer than the gateway waits (${Math.ceil(wait)} ms); retry later.`), { retryAfterMs: wait });
  }

  #stream(outcome: StreamOutcome, p: ProviderState, permit: BreakerPermit | undefined, model: string, startedAt: number, total: { aborted: boolean; clear(): void } | undefined, done: () => void): ResponseStream {
    const state: ForwardState = { verdict: undefined, errorType: "" };
    const finish = once(() => {
      total?.clear();
      p.inFlight--;
      if (state.verdict === "failure" && state.errorType !== "request_timeout") permit?.broke();
      this.metrics.duration.observe({ gen_ai_operation_name: "chat", gen_ai_request_model: model, gen_ai_provider_name: p.name, error_type: state.errorType }, (performance.now() - startedAt) / 1000);
      done();
    });
    const generator = this.#forward(outcome, p, model, total, state, finish);
    return {
      [Symbol.asyncIterator]: () => generator,
      cancel: () => {
        outcome.cancel();
        finish();
        void generator.return();
      },
    };
  }

  async *#forward(outcome: StreamOutcome, p: ProviderState, model: string, total: { aborted: boolean } | undefined, state: ForwardState, finish: () => void): AsyncGenerator<Buffer | string, void, undefined> {
    const recent: Buffer[] = [];
    const remember = (b: Buffer) => {
      recent.push(b);
      if (recent.length > 3) recent.shift();
    };
    try {
      for (const b of outcome.buffered) {
        remember(b);
        yield b;
      }
      let failure: StreamFailure | undefined;
      try {
        for await (const b of outcome.rest) {
          remember(b);
          yield b;
        }
      } catch (err) {
        failure = err instanceof StreamFailure ? err : new StreamFailure("stream_broken", `upstream stream failed: ${(err as Error).message}`);
      }
      const tailBytes = Buffer.concat(recent);
      const tail = tailBytes.toString("latin1");
      if (!failure && !/data: \[DONE\]\s*$/.test(tail)) failure = new StreamFailure("stream_broken", "upstream stream ended before [DONE]");
      if (failure?.reason === "aborted" && !total?.aborted) return; // the client left: nobody to tell
      if (failure) {
        state.verdict = "failure";
        const timedOut = failure.reason === "aborted";
        state.errorType = timedOut ? "request_timeout" : failure.reason;
        this.metrics.streamErrors.inc({ provider: p.name, reason: state.errorType });
        const error = timedOut
          ? new GatewayError(504, "timeout", "request_timeout", `The request did not complete within ${this.#config.policy.timeouts.totalMs} ms.`)
          : failure.reason === "idle_timeout"
            ? new GatewayError(504, "timeout", "stream_idle_timeout", `The provider's stream stalled after tokens were sent (${failure.message}).`)
            : new GatewayError(502, "server_error", "stream_interrupted", failure.message);
        yield error.toSseFrame();
        return;
      }
      state.verdict = "success";
      this.#observeTokens(model, p.name, tailBytes);
    } finally {
      outcome.cancel();
      finish();
    }
  }

  /** Token usage from the `usage` object near the end of an answer (none when the provider sent none). */
  #observeTokens(model: string, provider: string, body: Buffer): void {
    const at = body.lastIndexOf(USAGE);
    if (at < 0) return;
    const usage = body.toString("latin1", at, at + 200);
    const prompt = /"prompt_tokens":(\d+)/.exec(usage);
    const completion = /"completion_tokens":(\d+)/.exec(usage);
    const labels = { gen_ai_operation_name: "chat", gen_ai_request_model: model, gen_ai_provider_name: provider };
    if (prompt) this.metrics.tokens.observe({ ...labels, gen_ai_token_type: "input" }, Number(prompt[1]));
    if (completion) this.metrics.tokens.observe({ ...labels, gen_ai_token_type: "output" }, Number(completion[1]));
  }

  #readiness(requestId: string): GatewayResponse {
    const routable = [...this.#config.routes.values()].every((r) => r.targets.some((t) => this.#providers.get(t.provider)!.breaker?.allows ?? true));
    return json(routable ? 200 : 503, JSON.stringify({ status: routable ? "ok" : "degraded", providers: Object.fromEntries([...this.#providers.keys()].map((n) => [n, this.providerState(n)])) }), { "x-request-id": requestId });
  }

  close(): Promise<void> {
    return this.#upstream.close();
  }
}

/**
 * The request body for a provider, with its model name. The raw text is spliced when the model
 * field occurs once in compact form (no re-serialising a long prompt); otherwise it is rebuilt.
 */
function payloadFor(raw: string, body: Record<string, unknown>, model: string): (providerModel: string) => string {
  const field = `"model":${JSON.stringify(model)}`;
  const at = raw.indexOf(field);
  const splice = at >= 0 && raw.indexOf(field, at + 1) < 0;
  const cache = new Map<string, string>();
  return (providerModel) => {
    let text = cache.get(providerModel);
    if (text === undefined) {
      text = providerModel === model ? raw : splice ? `${raw.slice(0, at)}"model":${JSON.stringify(providerModel)}${raw.slice(at + field.length)}` : JSON.stringify({ ...body, model: providerModel });
      cache.set(providerModel, text);
    }
    return text;
  };
}

function attemptResult(o: AttemptOutcome): AttemptResult {
  if (o.kind !== "failed") return "ok";
  if (o.reason !== "upstream_status") return o.reason;
  return o.status === 429 ? "http_429" : o.status! >= 500 ? "http_5xx" : "http_4xx";
}

/** What an attempt's failure says about the provider's health. */
function breakerVerdict(o: Failed): "success" | "failure" | "none" {
  if (o.reason === "aborted") return "none";
  if (o.reason !== "upstream_status") return "failure";
  if (o.status === 429) return "none";
  return o.status! >= 500 ? "failure" : "success";
}

/** As the `openai` client decides: `x-should-retry` first, then 408, 409, 429 and 5xx; transport failures always. */
function retryable(o: Failed): boolean {
  if (o.reason === "aborted") return false;
  if (o.reason !== "upstream_status") return true;
  const hint = first(o.headers?.["x-should-retry"]);
  if (hint === "true") return true;
  if (hint === "false") return false;
  return o.status === 408 || o.status === 409 || o.status === 429 || o.status! >= 500;
}

/** The answer when no attempt succeeded: why the attempts stopped, and the last failure passed on or explained. */
function failedResponse(o: {
  reason: "total_timeout" | "client_closed" | undefined;
  totalMs: number | undefined;
  /** Why no provider could be chosen, when none could. */
  stop: GatewayError | undefined;
  last: { provider: string; failure: Failed } | undefined;
  budgetSpent: boolean;
  /** Retry at one layer: the gateway has retried already (or its budget said no), so tell SDK clients not to. */
  discourageClientRetry: boolean;
  headers: Headers;
}): GatewayResponse {
  const { headers } = o;
  if (o.reason === "total_timeout") return errorResponse(new GatewayError(504, "timeout", "request_timeout", `The request did not complete within ${o.totalMs} ms.`), headers);
  if (o.reason === "client_closed") return errorResponse(new GatewayError(499, "client_closed_request", null, "The client closed the request."), headers);
  if (o.stop && !o.last) return errorResponse(o.stop, headers);
  const failure = o.last?.failure;
  const extra: Headers = o.budgetSpent ? { "x-aire-retry-budget": "exhausted" } : {};
  if (o.discourageClientRetry) extra["x-should-retry"] = "false";
  if (failure?.reason === "upstream_status" && failure.body) {
    const pass: Headers = { "content-type": "application/json" };
    for (const h of ["retry-after", "retry-after-ms", "x-should-retry"]) {
      const v = first(failure.headers?.[h]);
      if (v !== undefined) pass[h] = v;
    }
    return { status: failure.status!, headers: { ...pass, ...headers, ...extra }, body: failure.body };
  }
  if (o.stop) return errorResponse(o.stop, { ...headers, ...extra });
  const error =
    failure?.reason === "ttft_timeout"
      ? new GatewayError(504, "timeout", "upstream_ttft_timeout", `No provider produced a first token in time (${failure.message}).`)
      : failure?.reason === "idle_timeout"
        ? new GatewayError(504, "timeout", "upstream_idle_timeout", `The provider's stream went silent before its first token (${failure.message}).`)
        : new GatewayError(502, "server_error", "upstream_unavailable", `No provider could serve the request (${failure?.message ?? "no attempt was made"}).`);
  return errorResponse(error, { ...headers, ...extra });
}

/** A provider whose breaker lets requests through. */
const usable = (p: ProviderState) => p.breaker === undefined || p.breaker.allows;
/** Usable and not cooling down after a retry-after. */
const eligible = (p: ProviderState) => usable(p) && p.coolUntil <= performance.now();

function errorResponse(error: GatewayError & { retryAfterMs?: number }, headers: Headers): GatewayResponse {
  const extra: Headers = error.retryAfterMs === undefined ? {} : { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))), "retry-after-ms": String(Math.max(0, Math.ceil(error.retryAfterMs))) };
  return { status: error.status, headers: { "content-type": "application/json", ...extra, ...headers }, body: error.toJson() };
}

const json = (status: number, body: string, headers: Headers): GatewayResponse => ({ status, headers: { "content-type": "application/json", ...headers }, body });
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const redact = (key: string) => (key.length <= 8 ? "****" : `${key.slice(0, 3)}****${key.slice(-4)}`);

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
