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
export async function startHttpServer(handler: RequestHandler, options: { host?: string; port?: number } = {}): Promise<StartedHttpServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
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

/** Reads a request body up to `limit` bytes; resolves `undefined` when it is larger. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** True for loopback addresses (127.0.0.0/8, ::1, localhost): the only hosts aire sends traffic to by default. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}
