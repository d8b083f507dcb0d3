/**
 * Pods as OS processes behind one provider front (the "Service"): each pod is `aire serve pod`,
 * a request goes to the ready pod with the fewest requests in flight, and a killed pod (SIGKILL)
 * breaks exactly the streams it held. A restarted pod loads its model for `coldStartMs`, answering
 * 503 on /ready until then; the front routes to it once it is ready.
 * @module
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Pool } from "undici";
import { privateTempDir } from "../../base/lifecycle/temp.js";
import { startChildService, type ChildService } from "../../base/lifecycle/child-service.js";
import type { Behaviour } from "./behaviours.js";
import type { ProviderConfig } from "./config.js";

export interface PodSlot {
  index: number;
  service: ChildService | undefined;
  pool: Pool | undefined;
  ready: boolean;
  inflight: number;
  restarts: number;
}

export class PodSet {
  readonly pods: PodSlot[];
  #configFile = "";
  #configDir: ReturnType<typeof privateTempDir> | undefined;
  #behaviours: readonly Behaviour[] = [];
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly config: ProviderConfig,
    private readonly adminToken: string,
  ) {
    this.pods = Array.from({ length: config.pods }, (_, index) => ({ index, service: undefined, pool: undefined, ready: false, inflight: 0, restarts: 0 }));
  }

  async start(): Promise<void> {
    // The pods' config holds the admin token: a private file, removed with the pods.
    this.#configDir = privateTempDir("pods");
    this.#configFile = join(this.#configDir.path, `${this.config.name}.json`);
    await writeFile(this.#configFile, JSON.stringify({ ...this.config, pods: 0, adminToken: this.adminToken, coldStartMs: 0 }), { mode: 0o600 });
    await Promise.all(this.pods.map((pod) => this.#spawn(pod, 0)));
  }

  /** The ready pod with the fewest requests in flight. */
  pick(): PodSlot | undefined {
    let best: PodSlot | undefined;
    for (const pod of this.pods) if (pod.ready && (!best || pod.inflight < best.inflight)) best = pod;
    return best;
  }

  get readyCount(): number {
    return this.pods.filter((p) => p.ready).length;
  }

  /** SIGKILLs a pod; with `restart`, starts a new one that is ready after `coldStartMs`. */
  async kill(index: number, restart: boolean, coldStartMs = this.config.coldStartMs): Promise<{ pid: number | undefined }> {
    const pod = this.pods[index];
    if (!pod) throw new RangeError(`no pod ${index}`);
    const pid = pod.service?.pid;
    pod.ready = false;
    pod.service?.process.kill("SIGKILL");
    await pod.service?.stop();
    pod.service = undefined;
    void pod.pool?.destroy();
    pod.pool = undefined;
    if (restart && !this.#closed) {
      pod.restarts++;
      void this.#spawn(pod, coldStartMs).catch(() => {});
    }
    return { pid };
  }

  /** Sends the active behaviours to every running pod. */
  async pushBehaviours(behaviours: readonly Behaviour[]): Promise<void> {
    this.#behaviours = behaviours;
    await Promise.all(this.pods.filter((p) => p.pool).map((p) => this.#push(p)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    await Promise.all(this.pods.map(async (pod) => {
      pod.ready = false;
      await pod.pool?.destroy();
      await pod.service?.stop();
    }));
    await this.#configDir?.remove();
  }

  async #spawn(pod: PodSlot, coldStartMs: number): Promise<void> {
    const service = await startChildService("pod", `${this.config.name}-pod-${pod.index}`, ["--config", this.#configFile, "--cold-start-ms", String(coldStartMs)]);
    if (this.#closed) return void (await service.stop());
    pod.service = service;
    pod.pool = new Pool(service.url, { connections: 256, pipelining: 1, keepAliveTimeout: 10_000, headersTimeout: 0, bodyTimeout: 0 });
    service.process.once("exit", () => {
      if (pod.service === service) pod.ready = false;
    });
    await this.#push(pod);
    await this.#waitReady(pod, service);
  }

  async #push(pod: PodSlot): Promise<void> {
    await pod.pool?.request({ path: "/pod/behaviours", method: "PUT", headers: { authorization: `Bearer ${this.adminToken}`, "content-type": "application/json" }, body: JSON.stringify(this.#behaviours) }).then((r) => r.body.dump()).catch(() => {});
  }

  #waitReady(pod: PodSlot, service: ChildService): Promise<void> {
    return new Promise((resolve) => {
      const poll = () => {
        if (this.#closed || pod.service !== service) return resolve();
        void pod.pool!.request({ path: "/ready", method: "GET" }).then(
          async (r) => {
            await r.body.dump();
            if (r.statusCode === 200) {
              pod.ready = true;
              return resolve();
            }
            schedule();
          },
          () => schedule(),
        );
      };
      const schedule = () => {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          poll();
        }, 50);
        this.#timers.add(t);
      };
      poll();
    });
  }
}
