/**
 * The gateway's way out: one undici `Pool` per provider with explicit limits and timeouts.
 * The core only sees the `Upstream` interface, so policy tests can hand it any implementation.
 * @module
 */
import { Pool } from "undici";
import type { Cancellation } from "./abort.js";
import type { GatewayConfig } from "./config.js";

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer>;
  /** Reads the whole body (cheaper than iterating it, for answers read in one piece). */
  collect(): Promise<Buffer>;
  /** Drops the response body (and with it the connection, if it is still streaming). */
  discard(): void;
}

export interface Upstream {
  /** POSTs `payload` to the provider's chat completions endpoint; rejects on connection errors and on `signal`. */
  send(provider: string, payload: string, signal: Cancellation): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

const PATH = "/v1/chat/completions";

export function undiciUpstream(config: Pick<GatewayConfig, "providers" | "policy">): Upstream {
  const providers = new Map(
    config.providers.map((p) => {
      const url = new URL(p.url);
      const base = url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
      const pool = new Pool(url.origin, {
        connections: p.connections,
        pipelining: 1,
        keepAliveTimeout: 10_000,
        // The gateway's own TTFT, idle and total timers govern reads; undici's would fight them.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: config.policy.timeouts.connectMs },
      });
      const headers: Record<string, string> = { "content-type": "application/json", ...(p.apiKey ? { authorization: `Bearer ${p.apiKey}` } : {}) };
      return [p.name, { pool, path: `${base}${PATH}`, headers }] as const;
    }),
  );
  return {
    async send(provider, payload, signal) {
      const p = providers.get(provider);
      if (!p) throw new Error(`unknown provider ${provider}`);
      // undici accepts any object with aborted/addEventListener/removeEventListener as a signal.
      const res = await p.pool.request({ path: p.path, method: "POST", headers: p.headers, body: payload, signal: signal as AbortSignal });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: res.body as AsyncIterable<Buffer>,
        collect: async () => Buffer.from(await res.body.arrayBuffer()),
        discard: () => res.body.destroy(),
      };
    },
    async close() {
      await Promise.all([...providers.values()].map((p) => p.pool.destroy()));
    },
  };
}
