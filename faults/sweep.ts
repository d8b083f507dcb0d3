/**
 * The backstop for leaked faults on a Toxiproxy that outlives runs (a team's, by URL), which
 * several runs may share at once. Every proxy aire creates and every toxic it adds is named
 * `aire-<runId>-…`. While a run lives it holds a **lease**: a disabled proxy (it listens on
 * nothing) named `aire-lease-<runId>-<host>-<pid>-<expiry>`, renewed every 10 s for 30 s. At start-up
 * a run removes the toxics and proxies of other runs that are gone, and leaves those of live ones:
 * a run is live while it holds a lease whose process runs (same host: by its PID) or whose expiry,
 * with 30 s allowed for clock skew, has not passed (another host). A run of an older aire holds
 * no lease, and counts as gone. Listing uses the HTTP API (toxiproxy-node-client cannot list
 * toxics); removal goes through the client.
 * @module
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { Toxiproxy } from "toxiproxy-node-client";
import { HarnessError } from "../harness/base/errors.js";
import { processAlive } from "../harness/base/lifecycle/temp.js";

export interface SweepResult {
  toxics: string[];
  proxies: string[];
  /** Runs whose toxics or proxies were left in place because they are still going. */
  live: string[];
}

export const lease = { ttlMs: 30_000, renewMs: 10_000, skewMs: 30_000 } as const;

/** This machine, as 8 hex digits (a host name may not fit a proxy name). */
const host = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);

export function leaseName(runId: string, expiresAtMs: number, pid = process.pid): string {
  return `aire-lease-${runId}-${host}-${pid}-${Math.ceil(expiresAtMs / 1000)}`;
}

export function parseLease(name: string): { runId: string; host: string; pid: number; expiresAtMs: number } | undefined {
  const m = /^aire-lease-(.+)-([0-9a-f]{8})-(\d+)-(\d+)$/.exec(name);
  return m ? { runId: m[1]!, host: m[2]!, pid: Number(m[3]), expiresAtMs: Number(m[4]) * 1000 } : undefined;
}

/** The run an aire name belongs to: `aire-<scenario>-<yyyymmdd>-<hhmmss>-<hex4>-…`. */
export function ownerOf(name: string): string | undefined {
  return /^aire-(?!lease-)([a-z][a-z0-9-]*?-\d{8}-\d{6}-[0-9a-f]{4})(?:-|$)/.exec(name)?.[1];
}

function leaseLive(l: NonNullable<ReturnType<typeof parseLease>>, now: number): boolean {
  return l.host === host ? processAlive(l.pid) : l.expiresAtMs + lease.skewMs > now;
}

type Listing = Record<string, { name: string; toxics: { name: string }[] }>;

export async function sweepToxiproxy(url: string, currentRunId: string, now = Date.now()): Promise<SweepResult> {
  const client = new Toxiproxy(url);
  const listing = (await (await fetch(`${url}/proxies`)).json()) as Listing;
  const leases = Object.keys(listing).flatMap((name) => {
    const l = parseLease(name);
    return l ? [{ name, ...l }] : [];
  });
  const liveRuns = new Set(leases.filter((l) => leaseLive(l, now)).map((l) => l.runId));
  const gone = (name: string) => {
    const owner = name.startsWith("aire-lease-") ? parseLease(name)?.runId : ownerOf(name);
    return owner !== undefined && owner !== currentRunId && !liveRuns.has(owner);
  };
  const removed: SweepResult = { toxics: [], proxies: [], live: [...liveRuns].filter((r) => r !== currentRunId) };
  for (const proxy of Object.values(listing)) {
    if (gone(proxy.name)) {
      await (await client.get(proxy.name)).remove();
      removed.proxies.push(proxy.name);
      continue;
    }
    for (const toxic of proxy.toxics) {
      if (!gone(toxic.name)) continue;
      await (await (await client.get(proxy.name)).getToxic(toxic.name)).remove();
      removed.toxics.push(`${proxy.name}/${toxic.name}`);
    }
  }
  return removed;
}

/**
 * Holds this run's lease on a shared Toxiproxy until `release()`: made now, renewed every 10 s (a
 * new lease first, then the old one removed, so there is never a moment without one).
 */
export async function holdLease(url: string, runId: string): Promise<{ release(): Promise<void> }> {
  const create = async (name: string) => {
    const res = await fetch(`${url}/proxies`, { method: "POST", body: JSON.stringify({ name, listen: "127.0.0.1:0", upstream: "127.0.0.1:9", enabled: false }) });
    await res.body?.cancel();
    if (!res.ok) throw new HarnessError("FAULT_INJECT_FAILED", { message: `Toxiproxy at ${url} refused the lease proxy ${name}: HTTP ${res.status}` });
  };
  const remove = async (name: string) => {
    const res = await fetch(`${url}/proxies/${encodeURIComponent(name)}`, { method: "DELETE" });
    await res.body?.cancel();
  };
  let current = leaseName(runId, Date.now() + lease.ttlMs);
  await create(current);
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      const next = leaseName(runId, Date.now() + lease.ttlMs);
      if (next === current) return;
      try {
        await create(next);
        const old = current;
        current = next;
        await remove(old);
      } catch {
        // The Toxiproxy did not answer: the next renewal tries again; the run's own calls will fail loudly.
      }
    });
  }, lease.renewMs);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      await renewing;
      await remove(current);
    },
  };
}
