/**
 * The bundled target: one synthetic provider process per provider, the embedded Toxiproxy with one
 * proxy in front of each provider, and the reference gateway routing through those proxies.
 * generator → gateway → Toxiproxy proxy → provider.
 * @module
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Toxiproxy } from "toxiproxy-node-client";
import { HarnessError } from "../base/errors.js";
import { policyAsConfig, resolvePolicy, type GatewayConfigInput, type GatewayPolicy } from "../reference/gateway/config.js";
import type { Teardown } from "../base/lifecycle/teardown.js";
import { privateTempDir } from "../base/lifecycle/temp.js";
import type { EventSink } from "../base/events.js";
import { providerConfigSchema, type ProviderConfig } from "../reference/providers/config.js";
import type { GatewaySpec, Scenario } from "../scenario/schema.js";
import { needsExactPieces } from "../traffic/schema.js";
import { holdLease, sweepToxiproxy } from "../../faults/sweep.js";
import { startChildService, type ChildService } from "../base/lifecycle/child-service.js";
import { connectToxiproxy, startContainerToxiproxy, startEmbeddedToxiproxy, type ToxiproxyBackend } from "./toxiproxy-backend.js";

export interface ReferenceStack {
  gatewayUrl: string;
  toxiproxy: Toxiproxy;
  toxiproxyUrl: string;
  proxyName(provider: string): string;
  /** Each provider's front (its admin API) and the per-run admin token. */
  providers: Map<string, { url: string; adminToken: string }>;
  components: { label: string; pid: number; url: string }[];
  /** Each tenant's API key for the gateway, made for this run (never written to the results). */
  tenantKeys: Record<string, string>;
}

/** Resolves the gateway profile and the scenario's overrides into the gateway's policy. */
export function gatewayPolicy(gateway: GatewaySpec): GatewayPolicy {
  const { profile, ...overrides } = gateway;
  return resolvePolicy(profile, overrides);
}

export async function startReferenceStack(scenario: Scenario, runId: string, dir: string, teardown: Teardown, events: EventSink, signal?: AbortSignal): Promise<ReferenceStack> {
  const components: ReferenceStack["components"] = [];
  // Components read their configs (admin tokens, tenant keys) from one private directory, removed
  // with the stack (or swept by the next run after a SIGKILL); the results get a copy with every
  // secret redacted.
  const privateDir = privateTempDir("stack");
  teardown.defer("remove the stack's config files", () => privateDir.remove());
  const start = async (kind: "provider" | "gateway", label: string, config: object | undefined) => {
    const args: string[] = [];
    if (config) {
      const file = join(privateDir.path, `stack-${label}.json`);
      await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
      await writeFile(join(dir, `stack-${label}.json`), JSON.stringify(redact(config), null, 2));
      args.push("--config", file);
    }
    const service: ChildService = await startChildService(kind, label, args, signal ? { signal } : {});
    teardown.defer(`stop ${label}`, async () => {
      await service.stop();
      events.append("component_stop", { component: label, pid: service.pid });
    });
    components.push({ label, pid: service.pid, url: service.url });
    events.append("component_ready", { component: label, kind, pid: service.pid, url: service.url });
    return service;
  };

  const reference = scenario.target.reference!;
  const providers = reference.providers;
  const adminTokens = new Map<string, string>();
  const toxiproxySpec = reference.toxiproxy;
  const startBackend = async (ports: number[]): Promise<ToxiproxyBackend> => {
    const backend =
      toxiproxySpec.backend === "embedded" ? await startEmbeddedToxiproxy(signal) : toxiproxySpec.backend === "url" ? await connectToxiproxy(toxiproxySpec.url!) : await startContainerToxiproxy(ports);
    teardown.defer("stop toxiproxy", async () => {
      await backend.close();
      if (backend.pid) events.append("component_stop", { component: "toxiproxy", pid: backend.pid });
    });
    const entry = { label: "toxiproxy", pid: backend.pid ?? 0, url: backend.url };
    components.push(entry);
    events.append("component_ready", { component: "toxiproxy", kind: "toxiproxy", backend: backend.kind, ...(backend.pid ? { pid: backend.pid } : {}), url: backend.url });
    return backend;
  };
  const startProviders = () =>
    Promise.all(
      providers.map((p, i) => {
        const config: ProviderConfig = providerConfigSchema.parse({
          name: p.name,
          model: p.model,
          ttftMs: p.ttft,
          prefillTokensPerSec: p.prefillTokensPerSec,
          decodeTokensPerSec: p.decodeTokensPerSec,
          slots: p.slotsPerPod,
          maxQueue: p.maxQueuePerPod,
          queueFullStatus: p.queueFullStatus,
          contextWindow: p.contextWindow,
          outputTokens: p.outputTokens,
          rateLimit: p.rateLimit,
          pods: p.pods,
          coldStartMs: p.coldStart,
          tokenizerAtStart: needsExactPieces(scenario.traffic),
          seed: scenario.seed * 1000 + i,
          adminToken: randomBytes(16).toString("hex"),
        });
        adminTokens.set(p.name, config.adminToken!);
        return start("provider", `provider-${p.name}`, config);
      }),
    );
  // The embedded Toxiproxy needs nothing from the providers: start both at once.
  const [providerServices, backend] =
    toxiproxySpec.backend === "embedded"
      ? await Promise.all([startProviders(), startBackend([])])
      : await startProviders().then(async (services) => [services, await startBackend(services.map((svc) => Number(new URL(svc.url).port)))] as const);

  const toxiproxy = new Toxiproxy(backend.url);
  const proxyName = (provider: string) => `aire-${runId}-${provider}`;
  if (backend.kind === "url") {
    // A Toxiproxy that outlives runs may hold what a killed run left behind (and what runs still
    // going hold: that stays). This run holds its own lease until it ends.
    const swept = await sweepToxiproxy(backend.url, runId);
    events.append("sweep", { ...swept }, true);
    const held = await holdLease(backend.url, runId);
    teardown.defer("release the Toxiproxy lease", () => held.release());
  }
  const listens = new Map<string, string>();
  try {
    for (const [i, p] of providers.entries()) {
      const spec = backend.proxySpec(i, Number(new URL(providerServices[i]!.url).port));
      const proxy = await toxiproxy.createProxy({ name: proxyName(p.name), ...spec, enabled: true });
      teardown.defer(`delete proxy ${proxy.name}`, async () => {
        await proxy.remove().catch(() => {});
      });
      listens.set(p.name, backend.reachable(proxy.listen));
    }
  } catch (err) {
    throw new HarnessError("STACK_START_FAILED", { message: "could not create the Toxiproxy proxies", cause: err });
  }

  const gatewayConfig: GatewayConfigInput = {
    providers: providers.map((p) => ({ name: p.name, url: `http://${listens.get(p.name)}`, model: p.model })),
    routes: { [scenario.traffic.model]: providers.map((p) => p.name) },
    profile: reference.gateway.profile,
    policy: policyAsConfig(gatewayPolicy(reference.gateway)),
    bodyLimit: 4 * 1024 * 1024,
    seed: scenario.seed,
  };
  // The pod processes are the providers' children; record their PIDs so the ledger names every process.
  await Promise.all(
    providers.map(async (p, i) => {
      const res = await fetch(`${providerServices[i]!.url}/admin/pods`, { headers: { authorization: `Bearer ${adminTokens.get(p.name)}` } });
      const { pods } = (await res.json()) as { pods: { index: number; pid: number | null }[] };
      for (const pod of pods) events.append("component_ready", { component: `provider-${p.name}-pod-${pod.index}`, kind: "pod", pid: pod.pid, parent: `provider-${p.name}` });
    }),
  );
  // Tenants get API keys made for this run; the gateway's config holds them (see `start`).
  const tenantKeys = Object.fromEntries(scenario.traffic.tenants.map((t) => [t.name, `sk-aire-${t.name}-${randomBytes(12).toString("hex")}`]));
  if (scenario.traffic.tenants.length > 0) {
    gatewayConfig.auth = { keys: scenario.traffic.tenants.map((t) => ({ key: tenantKeys[t.name]!, name: t.name, ...(t.rpm ? { rpm: t.rpm } : {}), ...(t.tpm ? { tpm: t.tpm } : {}) })) };
  }
  const gateway = await start("gateway", "gateway", gatewayConfig);
  const providerFronts = new Map(providers.map((p, i) => [p.name, { url: providerServices[i]!.url, adminToken: adminTokens.get(p.name)! }]));
  return { gatewayUrl: gateway.url, toxiproxy, toxiproxyUrl: backend.url, proxyName, providers: providerFronts, components, tenantKeys };
}

/** A copy of a component config with its secrets (admin tokens, API keys) replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, /^(adminToken|key|apiKey|token)$/.test(k) ? "(redacted)" : k === "apiKeys" && Array.isArray(v) ? v.map(() => "(redacted)") : redact(v)]),
  );
}
