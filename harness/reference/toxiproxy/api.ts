/**
 * The Toxiproxy 2.12 HTTP API, matched to the real server: routes, status codes, error bodies
 * (`{"error","status"}` as text/plain), JSON shapes and field order. See shared/reference/toxiproxy.md.
 * @module
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../../base/net/http-server.js";
import type { Random } from "../../base/random/prng.js";
import { bindHost, parseHostPort } from "./address.js";
import { asObject, BadRequest, decodeBody, field } from "./go-json.js";
import { ToxicProxy } from "./proxy.js";
import { toxicJson, type ToxicRecord } from "./toxic-record.js";
import { toxicTypes } from "./toxics.js";

export const TOXIPROXY_VERSION = "2.12.0";

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Route = { pattern: RegExp; methods: Record<string, (params: string[], body: () => Promise<unknown>) => Promise<Reply>> };
type ProxyInput = { name: string; listen: string; upstream: string; enabled: boolean | undefined };
type Reply = { status: number; json?: unknown; raw?: string; contentType?: string };

/** The proxies and the request router of one embedded Toxiproxy. */
export class ToxiproxyApi {
  readonly proxies = new Map<string, ToxicProxy>();
  readonly #routes: Route[];

  constructor(private readonly random: Random) {
    this.#routes = [
      { pattern: /^\/version$/, methods: { GET: async () => ({ status: 200, raw: `{"version": "${TOXIPROXY_VERSION}"}\n`, contentType: "application/json;charset=utf-8" }) } },
      { pattern: /^\/reset$/, methods: { POST: async () => this.#reset() } },
      { pattern: /^\/populate$/, methods: { POST: async (_p, body) => this.#populate(await body()) } },
      { pattern: /^\/proxies$/, methods: { GET: async () => ({ status: 200, json: this.#all() }), POST: async (_p, body) => this.#create(await body()) } },
      {
        pattern: /^\/proxies\/([^/]+)$/,
        methods: {
          GET: async ([p]) => ({ status: 200, json: this.#proxy(p!).toJSON() }),
          POST: async ([p], body) => this.#update(p!, body),
          PATCH: async ([p], body) => this.#update(p!, body),
          DELETE: async ([p]) => this.#delete(p!),
        },
      },
      {
        pattern: /^\/proxies\/([^/]+)\/toxics$/,
        methods: {
          GET: async ([p]) => ({ status: 200, json: this.#proxy(p!).toxicsInOrder().map(toxicJson) }),
          POST: async ([p], body) => this.#addToxic(p!, body),
        },
      },
      {
        pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
        methods: {
          GET: async ([p, t]) => ({ status: 200, json: toxicJson(this.#toxic(p!, t!)) }),
          POST: async ([p, t], body) => this.#updateToxic(p!, t!, body),
          PATCH: async ([p, t], body) => this.#updateToxic(p!, t!, body),
          DELETE: async ([p, t]) => this.#removeToxic(p!, t!),
        },
      },
    ];
  }

  /** The `node:http` request handler. */
  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = decodeURI((req.url ?? "/").split("?")[0]!);
    const route = this.#routes.find((r) => r.pattern.test(path));
    if (!route) return void res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n");
    const handler = route.methods[req.method ?? ""];
    if (!handler) return void res.writeHead(405, { "content-length": "0" }).end();
    res.setHeader("x-toxiproxy-request-id", randomBytes(10).toString("hex"));
    if ((req.headers["user-agent"] ?? "").startsWith("Mozilla/")) {
      return void res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end("User agent not allowed\n");
    }
    const params = route.pattern.exec(path)!.slice(1).map((s) => decodeURIComponent(s));
    const body = async () => decodeBody((await readBody(req, 8 * 1024 * 1024))?.toString("utf8") ?? "");
    let reply: Reply;
    try {
      reply = await handler(params, body);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : err instanceof BadRequest ? 400 : 500;
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
      return void res.end(`${JSON.stringify({ error: (err as Error).message, status })}\n`);
    }
    if (reply.raw !== undefined) return void res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/json" }).end(reply.raw);
    if (reply.json === undefined) return void res.writeHead(reply.status).end();
    res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/json" });
    res.end(JSON.stringify(reply.json));
  };

  /** Stops every proxy (closing its connections). */
  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.stop()));
    this.proxies.clear();
  }

  #all() {
    return Object.fromEntries([...this.proxies.keys()].sort().map((name) => [name, this.proxies.get(name)!.toJSON()]));
  }

  #proxy(name: string): ToxicProxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw new ApiError(404, "proxy not found");
    return proxy;
  }

  #toxic(proxyName: string, toxicName: string): ToxicRecord {
    const toxic = this.#proxy(proxyName).toxics.find((t) => t.name === toxicName);
    if (!toxic) throw new ApiError(404, "toxic not found");
    return toxic;
  }

  #readProxyInput(value: unknown): ProxyInput {
    const o = asObject(value, "api.proxy");
    return {
      name: (field(o, "name", "string", "Proxy") as string | undefined) ?? "",
      listen: (field(o, "listen", "string", "Proxy") as string | undefined) ?? "",
      upstream: (field(o, "upstream", "string", "Proxy") as string | undefined) ?? "",
      enabled: field(o, "enabled", "bool", "Proxy") as boolean | undefined,
    };
  }

  async #create(body: unknown): Promise<Reply> {
    const input = this.#readProxyInput(body);
    if (!input.name) throw new ApiError(400, "missing required field: name");
    if (!input.upstream) throw new ApiError(400, "missing required field: upstream");
    if (this.proxies.has(input.name)) throw new ApiError(409, "proxy already exists");
    const proxy = new ToxicProxy(input, this.random);
    if (input.enabled !== false) await this.#start(proxy);
    this.proxies.set(proxy.name, proxy);
    return { status: 201, json: proxy.toJSON() };
  }

  async #start(proxy: ToxicProxy): Promise<void> {
    try {
      await proxy.start();
    } catch (err) {
      throw new ApiError(500, `listen tcp ${proxy.listen}: ${(err as NodeJS.ErrnoException).code === "EADDRINUSE" ? "bind: address already in use" : (err as Error).message}`);
    }
  }

  async #populate(body: unknown): Promise<Reply> {
    let inputs: ProxyInput[];
    try {
      if (!Array.isArray(body)) throw new BadRequest(`bad request body: json: cannot unmarshal ${typeof body === "object" && body !== null ? "object" : typeof body} into Go value of type []api.proxy`);
      inputs = body.map((b) => this.#readProxyInput(b));
      inputs.forEach((input, i) => {
        if (!input.name) throw new ApiError(400, `missing required field: name at proxy ${i + 1}`);
        if (!input.upstream) throw new ApiError(400, `missing required field: upstream at proxy ${i + 1}`);
      });
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 400;
      return { status, json: { error: (err as Error).message, status, proxies: null } };
    }
    const done: unknown[] = [];
    for (const input of inputs) {
      const existing = this.proxies.get(input.name);
      if (existing && sameAddress(existing.listen, input.listen) && existing.upstream === input.upstream) {
        done.push(existing.toJSON());
        continue;
      }
      if (existing) {
        await existing.stop();
        this.proxies.delete(existing.name);
      }
      const proxy = new ToxicProxy(input, this.random);
      try {
        if (input.enabled !== false) await this.#start(proxy);
      } catch (err) {
        return { status: 500, json: { error: (err as Error).message, status: 500, proxies: done } };
      }
      this.proxies.set(proxy.name, proxy);
      done.push(proxy.toJSON());
    }
    return { status: 201, json: { proxies: done.length > 0 ? done : null } };
  }

  async #update(name: string, body: () => Promise<unknown>): Promise<Reply> {
    const proxy = this.#proxy(name);
    const o = asObject(await body(), "api.proxy");
    const listen = (field(o, "listen", "string", "Proxy") as string | undefined) ?? proxy.listen;
    const upstream = (field(o, "upstream", "string", "Proxy") as string | undefined) ?? proxy.upstream;
    const enabled = (field(o, "enabled", "bool", "Proxy") as boolean | undefined) ?? proxy.enabled;
    if (!sameAddress(proxy.listen, listen) || proxy.upstream !== upstream) {
      await proxy.stop();
      proxy.listen = listen;
      proxy.upstream = upstream;
    }
    if (enabled && !proxy.enabled) await this.#start(proxy);
    else if (!enabled && proxy.enabled) await proxy.stop();
    return { status: 200, json: proxy.toJSON() };
  }

  async #delete(name: string): Promise<Reply> {
    const proxy = this.#proxy(name);
    await proxy.stop();
    this.proxies.delete(name);
    return { status: 204 };
  }

  async #reset(): Promise<Reply> {
    for (const proxy of this.proxies.values()) {
      if (!proxy.enabled) await this.#start(proxy);
      proxy.removeAllToxics();
    }
    return { status: 204 };
  }

  async #addToxic(proxyName: string, body: () => Promise<unknown>): Promise<Reply> {
    const proxy = this.#proxy(proxyName);
    const o = asObject(await body(), "toxics.ToxicWrapper");
    const stream = field(o, "stream", "string", "ToxicWrapper") as string | undefined;
    const direction = stream === undefined ? "downstream" : stream.toLowerCase();
    if (direction !== "upstream" && direction !== "downstream") throw new ApiError(400, "stream was invalid, can be either upstream or downstream");
    const type = (field(o, "type", "string", "ToxicWrapper") as string | undefined) ?? "";
    const name = (field(o, "name", "string", "ToxicWrapper") as string | undefined) || `${type}_${stream ?? "downstream"}`;
    const toxicity = (field(o, "toxicity", "float32", "ToxicWrapper") as number | undefined) ?? 1;
    const kind = toxicTypes[type];
    if (!kind) throw new ApiError(400, "invalid toxic type");
    if (proxy.toxics.some((t) => t.name === name)) throw new ApiError(409, "toxic already exists");
    const attributes = decodeAttributes(o.attributes, type, {});
    const invalid = kind.validate?.(attributes);
    if (invalid) throw new ApiError(400, invalid);
    const toxic: ToxicRecord = { name, type, stream: stream ?? "downstream", direction, toxicity, attributes };
    proxy.addToxic(toxic);
    return { status: 200, json: toxicJson(toxic) };
  }

  async #updateToxic(proxyName: string, toxicName: string, body: () => Promise<unknown>): Promise<Reply> {
    const toxic = this.#toxic(proxyName, toxicName);
    const o = asObject(await body(), "toxics.ToxicWrapper");
    const attributes = decodeAttributes(o.attributes, toxic.type, toxic.attributes);
    const invalid = toxicTypes[toxic.type]!.validate?.(attributes);
    if (invalid) throw new ApiError(400, invalid);
    const toxicity = (field(o, "toxicity", "float32", "ToxicWrapper") as number | undefined) ?? toxic.toxicity;
    Object.assign(toxic, { attributes, toxicity });
    this.#proxy(proxyName).updateToxic(toxic);
    return { status: 200, json: toxicJson(toxic) };
  }

  async #removeToxic(proxyName: string, toxicName: string): Promise<Reply> {
    this.#toxic(proxyName, toxicName);
    this.#proxy(proxyName).removeToxic(toxicName);
    return { status: 204 };
  }
}

/** Every attribute of the type, 0 when not given; unknown keys dropped; wrong types → Go's 400. */
function decodeAttributes(value: unknown, type: string, base: Record<string, number>): Record<string, number> {
  const kind = toxicTypes[type]!;
  const out: Record<string, number> = Object.fromEntries(kind.attributes.map((a) => [a, base[a] ?? 0]));
  if (value === undefined || value === null) return out;
  const o = asObject(value, kind.goName);
  for (const a of kind.attributes) {
    const v = field(o, a, "int64", `${kind.goName}.attributes`) as number | undefined;
    if (v !== undefined) out[a] = v;
  }
  return out;
}

/** Listen addresses compare after resolution (`localhost:1` equals `127.0.0.1:1`); port 0 always differs. */
function sameAddress(current: string, wanted: string): boolean {
  try {
    const a = parseHostPort(current);
    const b = parseHostPort(wanted);
    return b.port !== 0 && a.port === b.port && bindHost(a.host) === bindHost(b.host);
  } catch {
    return current === wanted;
  }
}

