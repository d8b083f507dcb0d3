/**
 * The embedded Toxiproxy server (`aire serve toxiproxy`): the API on 127.0.0.1:8474 by default.
 * @module
 */
import { startHttpServer, type StartedHttpServer } from "../../base/net/http-server.js";
import { seededRandom } from "../../base/random/prng.js";
import { ToxiproxyApi } from "./api.js";

export interface StartedToxiproxy extends StartedHttpServer {
  readonly api: ToxiproxyApi;
}

/**
 * @example
 * await using toxiproxy = await startToxiproxy({ port: 0 });
 * const client = new Toxiproxy(toxiproxy.url);
 */
export async function startToxiproxy(options: { host?: string; port?: number; seed?: number } = {}): Promise<StartedToxiproxy> {
  const api = new ToxiproxyApi(seededRandom(options.seed ?? (Date.now() >>> 0)));
  const http = await startHttpServer(api.handle, { host: options.host ?? "127.0.0.1", port: options.port ?? 8474 });
  const close = async () => {
    await api.close();
    await http.close();
  };
  return { ...http, api, close, [Symbol.asyncDispose]: close };
}
