/**
 * The backstop for leaked faults: what a run killed with SIGKILL left on a Toxiproxy. Every proxy
 * aire creates and every toxic it adds is named `aire-<runId>-…`; at start-up a run removes all
 * such toxics and proxies of other runs. Listing uses the HTTP API (toxiproxy-node-client cannot
 * list toxics); removal goes through the client.
 * @module
 */
import { Toxiproxy } from "toxiproxy-node-client";

export interface SweepResult {
  toxics: string[];
  proxies: string[];
}

export async function sweepToxiproxy(url: string, currentRunId: string): Promise<SweepResult> {
  const client = new Toxiproxy(url);
  const mine = (name: string) => name.startsWith(`aire-${currentRunId}-`);
  const listing = (await (await fetch(`${url}/proxies`)).json()) as Record<string, { name: string; toxics: { name: string }[] }>;
  const removed: SweepResult = { toxics: [], proxies: [] };
  for (const proxy of Object.values(listing)) {
    if (proxy.name.startsWith("aire-") && !mine(proxy.name)) {
      await (await client.get(proxy.name)).remove();
      removed.proxies.push(proxy.name);
      continue;
    }
    for (const toxic of proxy.toxics) {
      if (!toxic.name.startsWith("aire-") || mine(toxic.name)) continue;
      await (await (await client.get(proxy.name)).getToxic(toxic.name)).remove();
      removed.toxics.push(`${proxy.name}/${toxic.name}`);
    }
  }
  return removed;
}
