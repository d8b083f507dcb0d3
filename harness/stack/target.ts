/**
 * What a run sends its traffic to: the bundled reference stack (started for the run), or a team's
 * own OpenAI-compatible gateway (`target.url`), reached as it is, with keys read from the
 * environment and network faults through the team's Toxiproxy (`target.toxiproxy.url`).
 * Non-loopback hosts were already refused by validation unless the scenario's `allow` names them.
 * @module
 */
import { Toxiproxy } from "toxiproxy-node-client";
import { HarnessError } from "../base/errors.js";
import type { Teardown } from "../base/lifecycle/teardown.js";
import type { EventSink } from "../base/events.js";
import type { Scenario } from "../scenario/schema.js";
import { holdLease, sweepToxiproxy } from "../../faults/sweep.js";
import { startReferenceStack, type ReferenceStack } from "./reference-stack.js";

export interface TargetStack {
  kind: "reference" | "url";
  gatewayUrl: string;
  /** Undefined when the target has no Toxiproxy (a url target without `toxiproxy`). */
  toxiproxy: Toxiproxy | undefined;
  toxiproxyUrl: string | undefined;
  proxyName(provider: string): string;
  /** The reference providers' fronts (admin API); empty for a url target. */
  providers: ReferenceStack["providers"];
  components: ReferenceStack["components"];
  /** Each tenant's API key (made for the run, or read from the environment). */
  tenantKeys: Record<string, string>;
  /** The key of a run without tenants (url targets with `apiKeyEnv`). */
  apiKey?: string;
}

/** Keys of a url target, read from the environment before anything starts (a missing one: exit 2, no results). */
export interface TargetKeys {
  tenants: Record<string, string>;
  apiKey?: string;
}

export function targetKeys(scenario: Scenario): TargetKeys {
  if (scenario.target.reference) return { tenants: {} };
  const apiKeyEnv = scenario.target.apiKeyEnv;
  return {
    tenants: Object.fromEntries(scenario.traffic.tenants.map((t) => [t.name, keyFrom(t.apiKeyEnv!, `tenant ${t.name}`)])),
    ...(apiKeyEnv !== undefined ? { apiKey: keyFrom(apiKeyEnv, "target.apiKeyEnv") } : {}),
  };
}

/** Starts (or reaches) the target; `signal` stops a start that is still going, at once. */
export async function startTarget(scenario: Scenario, runId: string, dir: string, teardown: Teardown, events: EventSink, keys: TargetKeys, signal?: AbortSignal): Promise<TargetStack> {
  if (scenario.target.reference) return { kind: "reference", ...(await startReferenceStack(scenario, runId, dir, teardown, events, signal)) };
  return connectUrlTarget(scenario, runId, events, keys, teardown);
}

/** Reads an API key from the environment; a missing one stops the run before any traffic (exit 2). */
function keyFrom(name: string, whose: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new HarnessError("USAGE", { message: `${whose}: the environment variable ${name} is not set (it holds the API key; the key is never written to the results)` });
  return value;
}

async function connectUrlTarget(scenario: Scenario, runId: string, events: EventSink, keys: TargetKeys, teardown: Teardown): Promise<TargetStack> {
  const { target } = scenario;
  const url = target.url!;
  const tenantKeys = keys.tenants;
  const apiKey = keys.apiKey;
  const components: TargetStack["components"] = [];
  let toxiproxy: Toxiproxy | undefined;
  const wanted = [...new Set(scenario.phases.flatMap((p) => p.faults.flatMap((f) => ("proxy" in f ? [f.proxy] : []))))];
  if (target.toxiproxy) {
    const toxiproxyUrl = target.toxiproxy.url.replace(/\/$/, "");
    let names: string[];
    try {
      const res = await fetch(`${toxiproxyUrl}/proxies`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new HarnessError("TARGET_UNREACHABLE", { message: `GET /proxies answered ${res.status}` });
      names = Object.keys((await res.json()) as Record<string, unknown>);
    } catch (err) {
      throw new HarnessError("TARGET_UNREACHABLE", { message: `Toxiproxy at ${toxiproxyUrl} did not answer`, cause: err });
    }
    const missing = wanted.filter((name) => !names.includes(name));
    if (missing.length > 0) throw new HarnessError("USAGE", { message: `Toxiproxy at ${toxiproxyUrl} has no proxy named ${missing.map((m) => `"${m}"`).join(", ")} (it has: ${names.join(", ") || "none"})` });
    // Toxics left by a killed run of aire (named aire-<run>-…) go before this run adds its own;
    // those of runs still going stay. This run holds its own lease until it ends.
    const swept = await sweepToxiproxy(toxiproxyUrl, runId);
    events.append("sweep", { ...swept }, true);
    const held = await holdLease(toxiproxyUrl, runId);
    teardown.defer("release the Toxiproxy lease", () => held.release());
    toxiproxy = new Toxiproxy(toxiproxyUrl);
    components.push({ label: "toxiproxy", pid: 0, url: toxiproxyUrl });
    events.append("component_ready", { component: "toxiproxy", kind: "toxiproxy", backend: "url", url: toxiproxyUrl });
  }
  events.append("component_ready", { component: "target", kind: "url", url });
  return {
    kind: "url",
    gatewayUrl: url,
    toxiproxy,
    toxiproxyUrl: toxiproxy ? target.toxiproxy!.url : undefined,
    // The team's proxies keep their own names.
    proxyName: (name) => name,
    providers: new Map(),
    components,
    tenantKeys,
    ...(apiKey !== undefined ? { apiKey } : {}),
  };
}
