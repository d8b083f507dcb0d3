/**
 * A client for a synthetic provider's admin API: set a behaviour (returning its Undo), kill a pod.
 * Provider faults talk to providers only through this.
 * @module
 */
import { HarnessError } from "../../harness/base/errors.js";
import type { BehaviourSpec } from "../../harness/reference/providers/behaviours.js";
import { once, type Undo } from "../undo.js";

export class ProviderAdmin {
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly token: string,
  ) {}

  async #call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  }

  /** Sets a behaviour named `id`; the Undo removes it (a behaviour already gone counts as removed). */
  async setBehaviour(id: string, spec: BehaviourSpec): Promise<Undo> {
    let res: Response;
    try {
      res = await this.#call("POST", "/behaviours", { ...spec, id });
    } catch (err) {
      throw new HarnessError("FAULT_INJECT_FAILED", { message: `provider "${this.name}" admin API did not answer`, cause: err });
    }
    if (res.status !== 201) throw new HarnessError("FAULT_INJECT_FAILED", { message: `provider "${this.name}" refused behaviour ${spec.type}: ${res.status} ${await res.text()}` });
    return once(async () => {
      const del = await this.#call("DELETE", `/behaviours/${encodeURIComponent(id)}`).catch((err: unknown) => {
        throw new HarnessError("FAULT_UNDO_FAILED", { message: `provider "${this.name}" admin API did not answer`, cause: err });
      });
      if (del.status !== 204 && del.status !== 404) throw new HarnessError("FAULT_UNDO_FAILED", { message: `provider "${this.name}" could not remove behaviour ${id}: ${del.status}` });
    });
  }

  async behaviourIds(): Promise<string[]> {
    const res = await this.#call("GET", "/behaviours");
    return ((await res.json()) as { behaviours: { id: string }[] }).behaviours.map((b) => b.id);
  }

  async removeBehaviour(id: string): Promise<void> {
    await this.#call("DELETE", `/behaviours/${encodeURIComponent(id)}`);
  }

  async pods(): Promise<{ index: number; pid: number | null; ready: boolean }[]> {
    return ((await (await this.#call("GET", "/pods")).json()) as { pods: { index: number; pid: number | null; ready: boolean }[] }).pods;
  }

  async killPod(index: number, restart: boolean, coldStartMs?: number): Promise<{ killedPid: number | null }> {
    const res = await this.#call("POST", `/pods/${index}/kill`, { restart, ...(coldStartMs !== undefined ? { coldStartMs } : {}) });
    if (res.status !== 200) throw new HarnessError("FAULT_INJECT_FAILED", { message: `provider "${this.name}" could not kill pod ${index}: ${res.status} ${await res.text()}` });
    return (await res.json()) as { killedPid: number | null };
  }
}
