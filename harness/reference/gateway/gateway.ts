/**
 * The reference LLM gateway on `node:http`: a thin adapter around `GatewayCore`. It reads the
 * body (up to the limit), passes the client's departure on as an abort signal, and writes a
 * stream with backpressure, so a slow reader slows the upstream read instead of filling memory.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, startHttpServer, type StartedHttpServer } from "../../base/net/http-server.js";
import { Abort } from "./abort.js";
import type { GatewayConfig } from "./config.js";
import { GatewayCore } from "./core.js";
import { undiciUpstream, type Upstream } from "./upstream.js";

export interface StartedGateway extends StartedHttpServer {
  readonly core: GatewayCore;
}

export async function startGateway(config: GatewayConfig, listen: { host?: string; port?: number } = {}, upstream: Upstream = undiciUpstream(config)): Promise<StartedGateway> {
  const core = new GatewayCore(config, upstream);
  const http = await startHttpServer(httpAdapter(core, config.bodyLimit), { ...listen, requestTimeoutMs: config.policy.timeouts.clientRequestMs ?? 0 });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await http.close();
      await core.close();
    })());
  return { ...http, core, close, [Symbol.asyncDispose]: close };
}

export function httpAdapter(core: GatewayCore, bodyLimit: number) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const clientGone = new Abort();
    // 'close' also follows a normal end; only a response cut short means the client left.
    res.once("close", () => {
      if (!res.writableFinished) clientGone.abort();
    });
    let body: Buffer | undefined = EMPTY;
    if (req.method === "POST") {
      try {
        body = await readBody(req, bodyLimit);
      } catch {
        return void res.destroy(); // the client hung up mid-body
      }
    }
    const response = await core.handle({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body }, clientGone);
    if (response.stream === undefined) {
      // A body we stopped reading (too large) leaves the connection in an unknown state: close it.
      const extra = body === undefined ? { connection: "close" } : {};
      res.writeHead(response.status, { ...response.headers, ...extra, "content-length": Buffer.byteLength(response.body) });
      return void res.end(req.method === "HEAD" ? undefined : response.body);
    }
    if (res.destroyed) return response.stream.cancel();
    res.writeHead(response.status, response.headers);
    for await (const chunk of response.stream) {
      if (res.destroyed) break;
      if (!res.write(chunk)) {
        await drained(res);
        if (res.destroyed) break;
      }
    }
    res.end();
  };
}

const EMPTY = Buffer.alloc(0);

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
