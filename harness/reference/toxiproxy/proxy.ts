/**
 * One Toxiproxy proxy: a TCP listener that dials its upstream on every accept and joins the two
 * sockets with an upstream and a downstream {@link Link}.
 * @module
 */
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Random } from "../../base/random/prng.js";
import { bindHost, formatHostPort, parseHostPort } from "./address.js";
import { Link } from "./link.js";
import { toxicJson, type ToxicRecord } from "./toxic-record.js";

interface Connection {
  client: Socket;
  upstream: Socket;
  links: { upstream: Link; downstream: Link };
}

export class ToxicProxy {
  name: string;
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics: ToxicRecord[] = [];
  #server: Server | undefined;
  readonly #connections = new Set<Connection>();
  readonly #pending = new Set<Socket>();

  constructor(
    init: { name: string; listen: string; upstream: string },
    private readonly random: Random,
  ) {
    this.name = init.name;
    this.listen = init.listen;
    this.upstream = init.upstream;
  }

  /** Binds the listener; `listen` becomes the bound address (port 0 resolved). */
  async start(): Promise<void> {
    if (this.enabled) return;
    const { host, port } = parseHostPort(this.listen);
    const server = createServer({ noDelay: true }, (client) => this.#accept(client));
    server.listen(port, bindHost(host));
    await Promise.race([once(server, "listening"), once(server, "error").then(([err]) => Promise.reject(err))]);
    const address = server.address() as AddressInfo;
    this.listen = formatHostPort(address.address, address.port);
    this.#server = server;
    this.enabled = true;
  }

  /** Closes the listener and every connection (graceful FIN on both sides). */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.#server!;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#pending) socket.destroySoon();
    this.#pending.clear();
    for (const c of this.#connections) {
      c.client.destroySoon();
      c.upstream.destroySoon();
    }
    this.#connections.clear();
    await closed;
  }

  toxicsInOrder(): ToxicRecord[] {
    return [...this.toxics.filter((t) => t.direction === "upstream"), ...this.toxics.filter((t) => t.direction === "downstream")];
  }

  addToxic(toxic: ToxicRecord): void {
    this.toxics.push(toxic);
    for (const c of this.#connections) c.links[toxic.direction].add(toxic);
  }

  updateToxic(toxic: ToxicRecord): void {
    for (const c of this.#connections) c.links[toxic.direction].update(toxic);
  }

  removeToxic(name: string): void {
    const i = this.toxics.findIndex((t) => t.name === name);
    if (i < 0) return;
    const [toxic] = this.toxics.splice(i, 1);
    for (const c of this.#connections) c.links[toxic!.direction].remove(name);
  }

  removeAllToxics(): void {
    for (const t of [...this.toxics]) this.removeToxic(t.name);
  }

  toJSON() {
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, Logger: {}, toxics: this.toxicsInOrder().map(toxicJson) };
  }

  #accept(client: Socket): void {
    client.pause();
    this.#pending.add(client);
    let target: { host: string; port: number };
    try {
      target = parseHostPort(this.upstream);
    } catch {
      this.#pending.delete(client);
      client.destroySoon();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    const onDialError = () => {
      // Toxiproxy accepts first and closes at once when the upstream cannot be dialled.
      this.#pending.delete(client);
      client.destroySoon();
    };
    upstream.once("error", onDialError);
    client.on("error", () => client.destroy());
    upstream.once("connect", () => {
      upstream.off("error", onDialError);
      upstream.on("error", () => upstream.destroy());
      this.#pending.delete(client);
      if (!this.enabled || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      // reset_peer present when the connection starts arms SO_LINGER 0: closes become RSTs.
      const linger0 = this.toxics.some((t) => t.type === "reset_peer");
      const close = () => {
        if (linger0) {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
        } else {
          client.destroySoon();
          upstream.destroySoon();
        }
      };
      const connection: Connection = {
        client,
        upstream,
        links: {
          upstream: new Link(client, upstream, this.toxics.filter((t) => t.direction === "upstream"), this.random, close),
          downstream: new Link(upstream, client, this.toxics.filter((t) => t.direction === "downstream"), this.random, close),
        },
      };
      this.#connections.add(connection);
      // A link may still hold data for one side after the other side closed (a stalled bandwidth
      // toxic, say): the connection stays known, and reachable by toxic changes, until both close.
      let open = 2;
      const forget = () => {
        if (--open === 0) this.#connections.delete(connection);
      };
      client.once("close", forget);
      upstream.once("close", forget);
      client.resume();
    });
  }
}
