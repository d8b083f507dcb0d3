/**
 * The Kubernetes API as plain HTTP, authenticated as `kubectl` would be: the kubeconfig is read by
 * @kubernetes/client-node (contexts, tokens, client certificates, exec plugins), and the calls go
 * through node:http(s) with the options it fills in. `aire run --load k6-operator` needs custom
 * resources, server-side dry runs, label-selected lists and the service and pod proxies, which the
 * generated clients spread over several APIs; one request function covers them all.
 *
 * The API server must be loopback or named in the scenario's `allow:` — checked before any call
 * (base/net/kubeconfig.ts).
 * @module
 */
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { HarnessError } from "../../base/errors.js";
import { loadKubeConfig, type KubeAccess } from "../../base/net/kubeconfig.js";

export type { KubeAccess };

export interface KubeResponse {
  status: number;
  body: Buffer;
  /** The body as JSON, when it is. */
  json: unknown;
}

/** The message of a Kubernetes `Status` body, or the start of the text. */
export function statusMessage(r: KubeResponse): string {
  const json = r.json as { message?: unknown } | undefined;
  if (json && typeof json === "object" && typeof json.message === "string") return json.message;
  return r.body.toString("utf8", 0, Math.min(r.body.length, 200)).trim() || `HTTP ${r.status}`;
}

export class KubeHttp {
  readonly server: string;
  readonly #apply: (opts: RequestOptions) => Promise<void>;
  readonly #base: URL;

  private constructor(server: string, apply: (opts: RequestOptions) => Promise<void>) {
    this.server = server;
    this.#apply = apply;
    this.#base = new URL(server);
  }

  /** The API server of the kubeconfig's context, after checking where it points; throws USAGE otherwise. */
  static async connect(access: KubeAccess): Promise<KubeHttp> {
    const { kc, server } = await loadKubeConfig(access, "USAGE");
    return new KubeHttp(server.replace(/\/$/, ""), (opts) => kc.applyToHTTPSOptions(opts as never));
  }

  /** One call; never throws for an HTTP status (the caller reads it), only when the server cannot be reached. */
  async request(method: string, path: string, body?: unknown, o: { contentType?: string; timeoutMs?: number } = {}): Promise<KubeResponse> {
    const url = new URL(this.#base.pathname.replace(/\/$/, "") + path, this.#base);
    const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    const opts: RequestOptions & { rejectUnauthorized?: boolean } = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { accept: "application/json", ...(payload ? { "content-type": o.contentType ?? "application/json", "content-length": payload.length } : {}) },
    };
    try {
      await this.#apply(opts);
    } catch (err) {
      throw new HarnessError("USAGE", { message: `the kubeconfig's credentials for ${this.server}: ${(err as Error).message}` });
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<KubeResponse>((resolvePromise, reject) => {
      const req = send(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const buffer = Buffer.concat(chunks);
          let json: unknown;
          if (/json/.test(String(res.headers["content-type"] ?? ""))) {
            try {
              json = JSON.parse(buffer.toString("utf8"));
            } catch {
              json = undefined;
            }
          }
          resolvePromise({ status: res.statusCode ?? 0, body: buffer, json });
        });
      });
      req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer within ${Math.round((o.timeoutMs ?? 30_000) / 1000)} s`)));
      req.on("error", (err) => reject(new HarnessError("TARGET_UNREACHABLE", { message: `the Kubernetes API server ${this.server} (${method} ${path}): ${err.message}` })));
      req.end(payload);
    });
  }
}
