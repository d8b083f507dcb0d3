/**
 * The reference LLM gateway: an OpenAI-compatible front that routes a model to an ordered list of
 * providers, with a time-to-first-token timeout, a total timeout, and fallback. A stream that fails
 * before its first content token falls over transparently; one that fails after ends with an SSE
 * error event — never a silent truncation, never a 200 with an error body.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Pool } from "undici";
import { readBody, startHttpServer, type StartedHttpServer } from "../net/http-server.js";
import { parseChatRequest } from "../providers/openai-wire.js";
import { attempt, type AttemptOutcome } from "./attempt.js";
import type { GatewayConfig } from "./config.js";
import { GatewayError } from "./gateway-error.js";

const PATH = "/v1/chat/completions";

export interface StartedGateway extends StartedHttpServer {}

export async function startGateway(config: GatewayConfig, listen: { host?: string; port?: number } = {}): Promise<StartedGateway> {
  const pools = new Map(config.providers.map((p) => [p.name, new Pool(p.url, { connections: 512, pipelining: 1, keepAliveTimeout: 10_000, headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 5_000 } })]));
  const http = await startHttpServer(createGatewayHandler(config, pools), listen);
  const close = async () => {
    await http.close();
    await Promise.all([...pools.values()].map((p) => p.destroy()));
  };
  return { ...http, close, [Symbol.asyncDispose]: close };
}

export function createGatewayHandler(config: GatewayConfig, pools: Map<string, Pool>) {
  const providers = new Map(config.providers.map((p) => [p.name, p]));
  const models = Object.keys(config.routes);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = (req.headers["x-request-id"] as string | undefined) ?? `gw-${randomUUID()}`;
    const url = req.url ?? "/";
    if (req.method === "GET" && (url === "/healthz" || url === "/readyz")) return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    if (req.method === "GET" && url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ object: "list", data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "aire-gateway" })) }));
    }
    if (url !== PATH) return new GatewayError(404, "invalid_request_error", "unknown_url", `Unknown request URL: ${req.method} ${url}.`).send(res, { "x-request-id": requestId });
    if (req.method !== "POST") return new GatewayError(405, "invalid_request_error", null, `Method ${req.method} not allowed.`).send(res, { "x-request-id": requestId });

    const raw = await readBody(req, config.bodyLimit);
    if (raw === undefined) return new GatewayError(413, "invalid_request_error", "request_too_large", `Request body too large: the limit is ${config.bodyLimit} bytes.`).send(res, { "x-request-id": requestId });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return new GatewayError(400, "invalid_request_error", null, "We could not parse the JSON body of your request.").send(res, { "x-request-id": requestId });
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return new GatewayError(400, "invalid_request_error", null, parsed.message, parsed.param).send(res, { "x-request-id": requestId });
    const route = config.routes[parsed.value.model];
    if (!route) {
      return new GatewayError(404, "invalid_request_error", "model_not_found", `The model \`${parsed.value.model}\` does not exist.`, "model").send(res, { "x-request-id": requestId });
    }

    const clientGone = new AbortController();
    res.once("close", () => clientGone.abort());
    const signal = config.policy.totalTimeoutMs === undefined ? clientGone.signal : AbortSignal.any([clientGone.signal, AbortSignal.timeout(config.policy.totalTimeoutMs)]);
    const targets = config.policy.fallback ? route : route.slice(0, 1);
    let attempts = 0;
    let last: Extract<AttemptOutcome, { kind: "failed" }> | undefined;
    for (const name of targets) {
      const target = providers.get(name)!;
      attempts++;
      const payload = JSON.stringify({ ...body, model: target.model });
      const outcome = await attempt(pools.get(name)!, PATH, payload, parsed.value.stream, config.policy.ttftTimeoutMs, signal);
      const headers = { "x-request-id": requestId, "x-aire-provider": name, "x-aire-attempts": String(attempts) };
      if (outcome.kind === "complete") {
        res.writeHead(200, { "content-type": "application/json", "content-length": outcome.body.length, ...headers });
        return void res.end(outcome.body);
      }
      if (outcome.kind === "stream") return forwardStream(res, outcome, headers, signal);
      last = outcome;
      if (signal.aborted) break;
      // A 4xx other than 429 is the caller's fault: another provider would answer the same.
      if (outcome.reason === "upstream_status" && outcome.status! < 500 && outcome.status !== 429) break;
    }
    const headers = { "x-request-id": requestId, "x-aire-provider": targets[attempts - 1] ?? "", "x-aire-attempts": String(attempts) };
    if (last?.reason === "upstream_status" && last.body) {
      res.writeHead(last.status!, { "content-type": "application/json", ...headers });
      return void res.end(last.body);
    }
    const error = signal.aborted
      ? new GatewayError(504, "timeout", "request_timeout", `the request did not complete within ${config.policy.totalTimeoutMs} ms`)
      : last?.reason === "ttft_timeout"
        ? new GatewayError(504, "timeout", "upstream_ttft_timeout", `no provider produced a first token in time (${last.message})`)
        : new GatewayError(502, "server_error", "upstream_unavailable", `no provider could serve the request (${last?.message ?? "no attempt"})`);
    error.send(res, headers);
  };
}

async function forwardStream(res: ServerResponse, outcome: Extract<AttemptOutcome, { kind: "stream" }> & { abort: () => void }, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers });
  let tail = "";
  const write = (chunk: Buffer) => {
    res.write(chunk);
    tail = (tail + chunk.toString("latin1")).slice(-32);
  };
  outcome.buffered.forEach(write);
  let failure: string | undefined;
  try {
    for (;;) {
      const next = await outcome.rest.next();
      if (next.done) break;
      write(next.value);
      if (res.destroyed) return outcome.abort();
    }
  } catch (err) {
    failure = signal.aborted ? "the request exceeded its total timeout" : `upstream stream failed: ${(err as Error).message}`;
  }
  if (failure === undefined && !/data: \[DONE\]\s*$/.test(tail)) failure = "upstream stream ended before [DONE]";
  if (failure !== undefined) res.write(new GatewayError(502, "server_error", "stream_interrupted", failure).toSseFrame());
  res.end();
}
