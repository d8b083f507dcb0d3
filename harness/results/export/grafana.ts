/**
 * Grafana annotations through its HTTP API: each phase and each fault a region, posted when it
 * starts (`POST /api/annotations`) and closed when it ends (`PATCH /api/annotations/:id` with
 * `timeEnd`), tagged `aire`, the scenario, the run id and `phase` or `fault`, so the team's own
 * dashboards show when aire acted. The token is a Bearer token from the environment.
 * @module
 */
import { HarnessError } from "../../base/errors.js";

export interface GrafanaTarget {
  url: string;
  token: string;
  dashboardUid?: string;
  tags: readonly string[];
  timeoutMs: number;
}

export class GrafanaAnnotations {
  /** The annotation id of each open region, by key (`phase:<name>`, `fault:<name>`), once Grafana answered. */
  readonly #open = new Map<string, Promise<number | undefined>>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(readonly target: GrafanaTarget, readonly onError: (message: string) => void, readonly onSent: () => void) {}

  async #call(method: "POST" | "PATCH", path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.target.url.replace(/\/+$/, "")}${path}`, { method, headers: { authorization: `Bearer ${this.target.token}`, "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.target.timeoutMs) });
    const text = await res.text();
    if (!res.ok) throw new HarnessError("EXPORT_FAILED", { message: `Grafana answered ${res.status} to ${method} ${path}: ${text.slice(0, 200)}` });
    this.onSent();
    return text ? (JSON.parse(text) as unknown) : {};
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }

  /** Opens a region at `time` (Unix ms). */
  start(key: string, kind: "phase" | "fault", text: string, time: number, runTags: readonly string[]): void {
    const body = { time, tags: ["aire", kind, ...runTags, ...this.target.tags], text, ...(this.target.dashboardUid ? { dashboardUID: this.target.dashboardUid } : {}) };
    const id = this.#track(
      this.#call("POST", "/api/annotations", body).then(
        (r) => (r as { id?: number }).id,
        (err: unknown) => {
          this.onError((err as Error).message);
          return undefined;
        },
      ),
    );
    this.#open.set(key, id);
  }

  /** Closes the region opened under `key` at `time` (Unix ms). */
  end(key: string, time: number): void {
    const id = this.#open.get(key);
    if (!id) return;
    this.#open.delete(key);
    void this.#track(
      id.then(async (n) => {
        if (n === undefined) return;
        await this.#call("PATCH", `/api/annotations/${n}`, { timeEnd: time }).catch((err: unknown) => this.onError((err as Error).message));
      }),
    );
  }

  /** Closes every region still open (the run ended) and waits for Grafana's answers. */
  async close(time: number): Promise<void> {
    for (const key of [...this.#open.keys()]) this.end(key, time);
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
