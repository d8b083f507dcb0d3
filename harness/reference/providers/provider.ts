/**
 * The synthetic provider's front (the "Service"): OpenAI routes, API keys, per-key rate limits,
 * injected errors, and the admin API; then a pod serves the request — in this process
 * (`pods: 0`) or in one of N pod processes.
 * @module
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, startHttpServer, type StartedHttpServer } from "../../base/net/http-server.js";
import { seededRandom } from "../../base/random/prng.js";
import { behaviourSchema, BehaviourSet, type Behaviour } from "./behaviours.js";
import type { ProviderConfig } from "./config.js";
import { errorBody, parseChatRequest } from "../../base/wire/openai-wire.js";
import { breakConnection, json, Pod, type CompletionRequest } from "./pod.js";
import { PodSet } from "./pod-set.js";
import { exposition, FrontMetrics } from "./metrics.js";
import { RateLimiter } from "../../base/wire/rate-limit.js";
import { countChatTokens, loadTokenizer } from "../../base/wire/tokens.js";

export interface StartedProvider extends StartedHttpServer {
  readonly behaviours: BehaviourSet;
  readonly pods: PodSet | undefined;
  readonly adminToken: string;
}

const PATH = "/v1/chat/completions";

/** Starts a provider front on `host:port` (port 0 picks a free one), with its pods. */
export async function startProvider(config: ProviderConfig, listen: { host?: string; port?: number } = {}): Promise<StartedProvider> {
  const behaviours = new BehaviourSet();
  // The front counts every prompt (its pods are told the count): its tokenizer is built now, not on
  // the first measured request. Before the pods: this blocks for about 0.4 s, and a stop that comes
  // meanwhile is answered after it (or by SIGKILL after 1 s on a loaded machine), which must find
  // no pod and no pods' config file yet.
  loadTokenizer();
  const adminToken = config.adminToken ?? randomBytes(16).toString("hex");
  const pods = config.pods > 0 ? new PodSet(config, adminToken) : undefined;
  try {
    await pods?.start();
  } catch (err) {
    await pods?.close();
    throw err;
  }
  const inline = pods ? undefined : new Pod(config, behaviours);
  const http = await startHttpServer(createFrontHandler(config, behaviours, adminToken, inline, pods), listen);
  const close = async () => {
    await http.close();
    await pods?.close();
  };
  return { ...http, behaviours, pods, adminToken, close, [Symbol.asyncDispose]: close };
}

function createFrontHandler(config: ProviderConfig, behaviours: BehaviourSet, adminToken: string, inline: Pod | undefined, pods: PodSet | undefined) {
  const configured = new RateLimiter(config.rateLimit, config.model);
  // A quota squeeze gets fresh buckets of its own; they drain under the traffic like the real ones.
  const squeezed = new Map<string, RateLimiter>();
  const limiterNow = (): RateLimiter => {
    const quota = behaviours.of("quota").at(-1);
    if (!quota) return configured;
    let limiter = squeezed.get(quota.id);
    if (!limiter) squeezed.set(quota.id, (limiter = new RateLimiter({ rpm: quota.rpm, tpm: quota.tpm }, config.model)));
    return limiter;
  };
  const random = seededRandom(config.seed ^ 0x27d4eb2d);
  const syncPods = () => pods?.pushBehaviours(behaviours.list());
  const metrics = new FrontMetrics(() => (pods ? pods.readyCount : 1));
  const podMetrics = async (): Promise<object[]> => {
    if (inline) return [await inline.metrics.registry.getMetricsAsJSON()];
    const all = await Promise.all(pods!.pods.map(async (p) => (p.pool && p.ready ? p.pool.request({ path: "/metrics.json", method: "GET" }).then((r) => r.body.json() as Promise<object>, () => undefined) : undefined)));
    return all.filter((m): m is object => m !== undefined);
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = (req.url ?? "/").split("?")[0]!;
    if (url.startsWith("/admin/")) return admin(req, res, url);
    if (req.method === "GET" && url === "/health") return json(res, 200, { status: "ok" });
    if (req.method === "GET" && url === "/ready") {
      const ready = pods ? pods.readyCount > 0 : true;
      return json(res, ready ? 200 : 503, { status: ready ? "ready" : "loading", ...(pods ? { readyPods: pods.readyCount, pods: pods.pods.length } : {}) });
    }
    if (req.method === "GET" && url === "/metrics") {
      const text = await exposition(metrics.registry, await podMetrics());
      return void res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text);
    }
    if (req.method === "GET" && url === "/v1/models") return json(res, 200, { object: "list", data: [{ id: config.model, object: "model", created: 1_700_000_000, owned_by: "aire" }] });
    if (url !== PATH) return json(res, 404, errorBody(`Unknown request URL: ${req.method} ${url}. Please check the URL for typos.`, "invalid_request_error", "unknown_url"));
    if (req.method !== "POST") return json(res, 405, errorBody(`Method ${req.method} not allowed on ${url}.`, "invalid_request_error", "method_not_supported"));

    res.once("finish", () => metrics.requests.inc({ status: `${Math.floor(res.statusCode / 100)}xx` }));
    const key = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "anonymous";
    if (config.apiKeys && !config.apiKeys.includes(key)) {
      return json(res, 401, errorBody(`Incorrect API key provided: ${key.slice(0, 3)}***. You can find your API key at https://platform.openai.com/account/api-keys.`, "invalid_request_error", "invalid_api_key"));
    }
    const raw = await readBody(req, config.bodyLimit);
    if (raw === undefined) return json(res, 413, errorBody(`Request body too large: the limit is ${config.bodyLimit} bytes.`, "invalid_request_error", "request_too_large"));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return json(res, 400, errorBody("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)", "invalid_request_error"));
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return json(res, 400, errorBody(parsed.message, "invalid_request_error", null, parsed.param));
    if (parsed.value.model !== config.model) {
      return json(res, 404, errorBody(`The model \`${parsed.value.model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found", "model"));
    }
    const request: CompletionRequest = { ...parsed.value, responseFormat: body.response_format, tools: body.tools, toolChoice: body.tool_choice };
    const promptTokens = countChatTokens(request.messages);

    let limitHeaders: Record<string, string> = {};
    const limiter = limiterNow();
    if (limiter.enabled) {
      const decision = limiter.check(key, promptTokens + (request.maxTokens ?? config.outputTokens.median));
      if (!decision.ok) {
        metrics.rateLimited.inc({ limit: decision.limitedBy });
        return json(res, 429, errorBody(decision.message, decision.limitedBy, "rate_limit_exceeded"), decision.headers);
      }
      limitHeaders = decision.headers;
    }
    const injected = behaviours.of("error").find((b) => random() < b.fraction);
    if (injected) {
      metrics.injected.inc({ status: String(injected.status) });
      return injectError(res, injected, limitHeaders);
    }
    for (const [name, value] of Object.entries(limitHeaders)) res.setHeader(name, value);

    if (inline) return inline.serve(request, res, promptTokens);
    const pod = pods!.pick();
    if (!pod) return json(res, 503, errorBody("No replica is ready to serve the request.", "server_error", "no_ready_replica"), { "retry-after": "1" });
    await forward(pod, raw, promptTokens, req, res);
  };

  async function admin(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    if (req.headers.authorization !== `Bearer ${adminToken}`) return json(res, 401, { error: "admin token required" });
    const behaviourId = /^\/admin\/behaviours\/([^/]+)$/.exec(url)?.[1];
    if (url === "/admin/behaviours" && req.method === "GET") return json(res, 200, { behaviours: behaviours.list() });
    if (url === "/admin/behaviours" && req.method === "POST") {
      let input: unknown;
      try {
        input = JSON.parse((await readBody(req, 64 * 1024))?.toString("utf8") ?? "");
      } catch {
        return json(res, 400, { error: "body must be JSON" });
      }
      const { id, ...rest } = (input ?? {}) as { id?: unknown };
      const spec = behaviourSchema.safeParse(rest);
      if (!spec.success) return json(res, 400, { error: spec.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ") });
      if (id !== undefined && (typeof id !== "string" || behaviours.list().some((b) => b.id === id))) return json(res, 409, { error: `behaviour id ${JSON.stringify(id)} is taken or not a string` });
      const behaviour = behaviours.add(spec.data, id as string | undefined);
      await syncPods();
      return json(res, 201, behaviour);
    }
    if (behaviourId && req.method === "DELETE") {
      const removed = behaviours.remove(decodeURIComponent(behaviourId));
      await syncPods();
      return removed ? void res.writeHead(204).end() : json(res, 404, { error: "no such behaviour" });
    }
    if (url === "/admin/behaviours" && req.method === "DELETE") {
      behaviours.clear();
      await syncPods();
      return void res.writeHead(204).end();
    }
    if (url === "/admin/pods" && req.method === "GET") {
      return json(res, 200, { pods: (pods?.pods ?? []).map((p) => ({ index: p.index, pid: p.service?.pid ?? null, ready: p.ready, inflight: p.inflight, restarts: p.restarts })) });
    }
    const kill = /^\/admin\/pods\/(\d+)\/kill$/.exec(url);
    if (kill && req.method === "POST") {
      if (!pods) return json(res, 409, { error: "this provider serves in-process (pods: 0): there is no pod process to kill" });
      const options = JSON.parse((await readBody(req, 4096))?.toString("utf8") || "{}") as { restart?: boolean; coldStartMs?: number };
      const index = Number(kill[1]);
      if (!pods.pods[index]) return json(res, 404, { error: `no pod ${index}` });
      const { pid } = await pods.kill(index, options.restart !== false, options.coldStartMs);
      return json(res, 200, { index, killedPid: pid ?? null, restarting: options.restart !== false });
    }
    return json(res, 404, { error: "unknown admin route" });
  }
}

function injectError(res: ServerResponse, b: Extract<Behaviour, { type: "error" }>, headers: Record<string, string>): void {
  const retry: Record<string, string> = b.retryAfterMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(b.retryAfterMs / 1000))), "retry-after-ms": String(b.retryAfterMs) } : {};
  const bodies: Record<number, ReturnType<typeof errorBody>> = {
    429: errorBody("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: errorBody("The server had an error while processing your request. Sorry about that!", "server_error"),
    502: errorBody("Bad gateway.", "server_error"),
    503: errorBody("The server is overloaded or not ready yet.", "server_error"),
    529: errorBody("Overloaded", "overloaded_error", "overloaded"),
  };
  json(res, b.status, bodies[b.status], { ...headers, ...retry, ...(b.status === 429 ? { "x-should-retry": "true" } : {}) });
}

/** Streams a pod's answer back; if the pod dies mid-answer, the client's connection breaks too. */
async function forward(pod: NonNullable<ReturnType<PodSet["pick"]>>, raw: Buffer, promptTokens: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  pod.inflight++;
  const aborted = new AbortController();
  res.once("close", () => aborted.abort());
  try {
    // The front has tokenized the prompt already (for the TPM limits): the pod need not do it again.
    const headers = { "content-type": "application/json", "x-aire-prompt-tokens": String(promptTokens), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
    const upstream = await pod.pool!.request({ path: PATH, method: "POST", headers, body: raw, signal: aborted.signal });
    const answer: Record<string, string> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (typeof v === "string" && k !== "connection" && k !== "keep-alive" && k !== "transfer-encoding") answer[k] = v;
    res.writeHead(upstream.statusCode, { ...answer, "x-aire-pod": String(pod.index) });
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) res.write(chunk);
    res.end();
  } catch {
    // The pod went away (killed) or the client did: break the client's stream, never fake an ending.
    if (!res.headersSent) json(res, 502, errorBody("The replica serving the request failed.", "server_error", "replica_failed"));
    else await breakConnection(res);
  } finally {
    pod.inflight--;
  }
}
