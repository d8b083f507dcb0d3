/**
 * `aire serve pod`: one pod process. It loads its "model" for `coldStartMs` (503 on /ready until
 * then), serves chat completions, and takes its behaviours from its front (PUT /pod/behaviours).
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, startHttpServer, type StartedHttpServer } from "../../base/net/http-server.js";
import { BehaviourSet, type Behaviour } from "./behaviours.js";
import type { ProviderConfig } from "./config.js";
import { errorBody, parseChatRequest } from "../../base/wire/openai-wire.js";
import { json, Pod } from "./pod.js";
import { loadTokenizer } from "../../base/wire/o200k.js";

export async function startPodServer(config: ProviderConfig, coldStartMs: number, listen: { host?: string; port?: number }): Promise<StartedHttpServer> {
  const behaviours = new BehaviourSet();
  const pod = new Pod(config, behaviours);
  if (config.tokenizerAtStart) loadTokenizer();
  const readyAt = performance.now() + coldStartMs;
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? "/";
    if (url === "/health") return json(res, 200, { status: "ok" });
    if (url === "/ready") return performance.now() >= readyAt ? json(res, 200, { status: "ready" }) : json(res, 503, { status: "loading" });
    if (url === "/metrics") return void res.writeHead(200, { "content-type": pod.metrics.registry.contentType }).end(await pod.metrics.registry.metrics());
    if (url === "/metrics.json") return json(res, 200, await pod.metrics.registry.getMetricsAsJSON());
    if (url === "/pod/behaviours" && req.method === "PUT") {
      if (req.headers.authorization !== `Bearer ${config.adminToken}`) return json(res, 401, { error: "admin token required" });
      behaviours.replaceAll(JSON.parse((await readBody(req, 1 << 20))?.toString("utf8") ?? "[]") as Behaviour[]);
      return void res.writeHead(204).end();
    }
    if (url !== "/v1/chat/completions" || req.method !== "POST") return json(res, 404, errorBody(`Unknown request URL: ${req.method} ${url}.`, "invalid_request_error", "unknown_url"));
    if (performance.now() < readyAt) return json(res, 503, errorBody("The model is still loading.", "server_error", "model_loading"), { "retry-after": "1" });
    // The front has validated the request already; a pod still refuses what it cannot parse.
    const raw = await readBody(req, config.bodyLimit);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw?.toString("utf8") ?? "");
    } catch {
      return json(res, 400, errorBody("We could not parse the JSON body of your request.", "invalid_request_error"));
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return json(res, 400, errorBody(parsed.message, "invalid_request_error", null, parsed.param));
    const counted = Number(req.headers["x-aire-prompt-tokens"]);
    // The provider's front counts the prompt and says so; a pod process loads the tokenizer (a
    // third of a second of CPU) only if something calls it directly.
    const promptTokens = Number.isInteger(counted) && counted > 0 ? counted : (await import("../../base/wire/tokens.js")).countChatTokens(parsed.value.messages);
    await pod.serve({ ...parsed.value, responseFormat: body.response_format, tools: body.tools, toolChoice: body.tool_choice }, res, promptTokens);
  };
  return startHttpServer(handler, listen);
}
