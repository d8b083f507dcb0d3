/**
 * A synthetic GPU-backed model service speaking the OpenAI chat-completions API.
 * Time to first token = base + prompt tokens / prefill rate; then one token every 1/decode-rate s.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { readBody, startHttpServer, type StartedHttpServer } from "../net/http-server.js";
import type { ProviderConfig } from "./config.js";
import { ContentSource, countPromptTokens, promptText } from "./content.js";
import { ChunkWriter, completionBody, DONE_FRAME, errorBody, parseChatRequest, usage, type ChatRequest } from "./openai-wire.js";

/** Starts a provider on `host:port` (port 0 picks a free one). */
export async function startProvider(config: ProviderConfig, listen: { host?: string; port?: number } = {}): Promise<StartedHttpServer> {
  return startHttpServer(createProviderHandler(config), listen);
}

export function createProviderHandler(config: ProviderConfig) {
  const content = new ContentSource(config.seed);
  const interval = 1000 / config.decodeTokensPerSec;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? "/";
    if (req.method === "GET" && (url === "/health" || url === "/ready")) return json(res, 200, { status: "ok" });
    if (req.method === "GET" && url === "/v1/models") {
      return json(res, 200, { object: "list", data: [{ id: config.model, object: "model", created: 1_700_000_000, owned_by: "aire" }] });
    }
    if (url !== "/v1/chat/completions") return json(res, 404, errorBody(`Unknown request URL: ${req.method} ${url}.`, "invalid_request_error", "unknown_url"));
    if (req.method !== "POST") return json(res, 405, errorBody(`Method ${req.method} not allowed on ${url}.`, "invalid_request_error"));

    const raw = await readBody(req, config.bodyLimit);
    if (raw === undefined) return json(res, 413, errorBody(`Request body too large: the limit is ${config.bodyLimit} bytes.`, "invalid_request_error", "request_too_large"));
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return json(res, 400, errorBody("We could not parse the JSON body of your request.", "invalid_request_error"));
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return json(res, 400, errorBody(parsed.message, "invalid_request_error", null, parsed.param));
    const request = parsed.value;
    if (request.model !== config.model) {
      return json(res, 404, errorBody(`The model \`${request.model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found", "model"));
    }
    const promptTokens = countPromptTokens(request.messages);
    const outputTokens = request.maxTokens ?? config.defaultMaxTokens;
    const finish = request.maxTokens !== undefined ? "length" : "stop";
    const tokens = content.tokens(promptText(request.messages), outputTokens);
    const ttft = config.ttftMs + (promptTokens / config.prefillTokensPerSec) * 1000;
    const id = `chatcmpl-${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const headers = { "x-request-id": `req_${randomUUID().replaceAll("-", "")}`, "openai-version": "2020-10-01", "openai-organization": "aire" };

    if (request.stream) streamCompletion(res, request, { id, created, ttft, interval, tokens, finish, promptTokens, model: config.model, headers });
    else {
      const wait = ttft + (tokens.length - 1) * interval;
      const timer = setTimeout(() => json(res, 200, completionBody(id, created, config.model, tokens.join("").trimStart(), finish, usage(promptTokens, tokens.length)), headers), wait);
      res.once("close", () => clearTimeout(timer));
    }
  };
}

interface StreamPlan {
  id: string;
  created: number;
  ttft: number;
  interval: number;
  tokens: string[];
  finish: "stop" | "length";
  promptTokens: number;
  model: string;
  headers: Record<string, string>;
}

function streamCompletion(res: ServerResponse, request: ChatRequest, plan: StreamPlan): void {
  const writer = new ChunkWriter(plan.id, plan.created, plan.model);
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...plan.headers });
  res.write(writer.role());
  const start = performance.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  // Token i is due at start + ttft + i·interval; scheduling against that absolute time keeps the
  // rate exact however late one timer fires.
  const tick = () => {
    const now = performance.now() - start;
    while (next < plan.tokens.length && now >= plan.ttft + next * plan.interval) res.write(writer.content(plan.tokens[next++]!));
    if (next < plan.tokens.length) {
      timer = setTimeout(tick, Math.max(0, plan.ttft + next * plan.interval - (performance.now() - start)));
      return;
    }
    res.write(writer.finish(plan.finish));
    if (request.includeUsage) res.write(writer.usage(usage(plan.promptTokens, plan.tokens.length)));
    res.end(DONE_FRAME);
  };
  timer = setTimeout(tick, plan.ttft);
  res.once("close", () => clearTimeout(timer));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
