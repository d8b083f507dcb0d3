/**
 * The bundled target: one synthetic provider process per provider, the embedded Toxiproxy with one
 * proxy in front of each provider, and the reference gateway routing through those proxies.
 * generator → gateway → Toxiproxy proxy → provider.
 * @module
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Toxiproxy } from "toxiproxy-node-client";
import { HarnessError } from "../errors.js";
import { gatewayProfiles, type GatewayConfig } from "../gateway/config.js";
import type { Teardown } from "../lifecycle/teardown.js";
import type { EventLog } from "../orchestrator/event-log.js";
import type { ProviderConfig } from "../providers/config.js";
import type { Scenario } from "../scenario/schema.js";
import { startChildService, type ChildService } from "./child-service.js";

export interface ReferenceStack {
  gatewayUrl: string;
  toxiproxy: Toxiproxy;
  toxiproxyUrl: string;
  proxyName(provider: string): string;
  components: { label: string; pid: number; url: string }[];
}

/** Resolves the gateway profile and the scenario's overrides into the gateway's policy. */
export function gatewayPolicy(gateway: Scenario["target"]["reference"]["gateway"]): GatewayConfig["policy"] {
  const profile = gatewayProfiles[gateway.profile];
  return {
    fallback: gateway.fallback ?? profile.fallback,
    ttftTimeoutMs: gateway.ttftTimeout ?? profile.ttftTimeoutMs,
    totalTimeoutMs: gateway.totalTimeout ?? profile.totalTimeoutMs,
  };
}

export async function startReferenceStack(scenario: Scenario, runId: string, dir: string, teardown: Teardown, events: EventLog): Promise<ReferenceStack> {
  const components: ReferenceStack["components"] = [];
  const start = async (kind: "provider" | "gateway" | "toxiproxy", label: string, config: object | undefined) => {
    const args: string[] = [];
    if (config) {
      const file = join(dir, `stack-${label}.json`);
      await writeFile(file, JSON.stringify(config, null, 2));
      args.push("--config", file);
    }
    const service: ChildService = await startChildService(kind, label, args);
    teardown.defer(`stop ${label}`, async () => {
      await service.stop();
      events.append("component_stop", { component: label, pid: service.pid });
    });
    components.push({ label, pid: service.pid, url: service.url });
    events.append("component_ready", { component: label, kind, pid: service.pid, url: service.url });
    return service;
  };

  const providers = scenario.target.reference.providers;
  const [providerServices, toxiproxyService] = await Promise.all([
    Promise.all(
      providers.map((p, i) => {
        const config: ProviderConfig = {
          name: p.name,
          model: p.model,
          ttftMs: p.ttft,
          prefillTokensPerSec: p.prefillTokensPerSec,
          decodeTokensPerSec: p.decodeTokensPerSec,
          defaultMaxTokens: 256,
          seed: scenario.seed * 1000 + i,
          bodyLimit: 4 * 1024 * 1024,
        };
        return start("provider", `provider-${p.name}`, config);
      }),
    ),
    start("toxiproxy", "toxiproxy", undefined),
  ]);

  const toxiproxy = new Toxiproxy(toxiproxyService.url);
  const proxyName = (provider: string) => `aire-${runId}-${provider}`;
  const listens = new Map<string, string>();
  try {
    for (const [i, p] of providers.entries()) {
      const upstream = new URL(providerServices[i]!.url).host;
      const proxy = await toxiproxy.createProxy({ name: proxyName(p.name), listen: "127.0.0.1:0", upstream, enabled: true });
      listens.set(p.name, proxy.listen);
    }
  } catch (err) {
    throw new HarnessError("STACK_START_FAILED", { message: "could not create the Toxiproxy proxies", cause: err });
  }

  const gatewayConfig: GatewayConfig = {
    providers: providers.map((p) => ({ name: p.name, url: `http://${listens.get(p.name)}`, model: p.model })),
    routes: { [scenario.traffic.model]: providers.map((p) => p.name) },
    policy: gatewayPolicy(scenario.target.reference.gateway),
    bodyLimit: 4 * 1024 * 1024,
  };
  const gateway = await start("gateway", "gateway", gatewayConfig);
  return { gatewayUrl: gateway.url, toxiproxy, toxiproxyUrl: toxiproxyService.url, proxyName, components };
}
