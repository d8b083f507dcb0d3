/**
 * Starts a `node:http` server and returns it as an `AsyncDisposable` with its URL.
 * Used by the providers, the gateway, the Toxiproxy API and the tests.
 * @module
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface StartedHttpServer extends AsyncDisposable {
  readonly server: Server;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * @example
 * await using server = await startHttpServer((req, res) => res.end("ok"));
 * await fetch(server.url);
 */
/** How long a client may take to send its headers, and its whole request, as production servers bound them (slowloris). */
export const requestBounds = { headersMs: 10_000, requestMs: 30_000 } as const;

export async function startHttpServer(handler: RequestHandler, options: { host?: string; port?: number; requestTimeoutMs?: number } = {}): Promise<StartedHttpServer> {
  const host = options.host ?? "127.0.0.1";
  // requestTimeout: a client must have sent its whole request by then; headersTimeout: its headers
  // (Node answers 408 and closes). Node checks both every connectionsCheckingInterval, so that
  // interval bounds how late they fire. A client trickling its headers is cut off after 10 s,
  // also where the whole-request bound is off (0).
  const requestTimeout = options.requestTimeoutMs ?? requestBounds.requestMs;
  const headersTimeout = requestTimeout > 0 ? Math.min(requestTimeout, requestBounds.headersMs) : requestBounds.headersMs;
  const timeouts = { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1_000, headersTimeout / 4)) };
  const server = createServer({ keepAliveTimeout: 30_000, ...timeouts }, (req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        // The last line of defence: a handler bug answers 500, it never takes the process down.
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: `internal error: ${String(err)}`, type: "server_error", param: null, code: null } }));
        } else res.destroy();
      });
  });
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { server, url: `http://${urlHost}:${port}`, host, port, close, [Symbol.asyncDispose]: close };
}

/**
 * Reads a request body up to `limit` bytes; resolves `undefined` when it is larger. The rest is
 * read and discarded (within the server's request time bound): a client still writing its body
 * would otherwise wait on a connection that reads nothing, and its next request there would hang.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        return resolve(undefined);
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(new Error("the client closed the connection before sending its whole request"));
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** True for loopback addresses (127.0.0.0/8, ::1, localhost): the only hosts aire sends traffic to by default. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}
