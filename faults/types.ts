/**
 * What every fault is: a params schema, a description for `aire plan`, and `inject → Undo`.
 * @module
 */
import type { Toxiproxy } from "toxiproxy-node-client";
import type { z } from "zod";
import type { ProviderAdmin } from "./provider/provider-admin.js";
import type { Undo } from "./undo.js";

export { once, type Undo } from "./undo.js";

/** The cluster a `k8s-pod-kill` may reach: the scenario's `target.kubernetes` and its `allow:` list. */
export interface KubernetesAccess {
  /** The kubeconfig file (absolute, or relative to the working directory); default: KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  /** Whether the scenario's `allow:` names this (non-loopback) host. */
  allowed(host: string): boolean;
}

/** What a fault may touch, handed in by the orchestrator. */
export interface FaultContext {
  /** The run's id; every toxic is named `aire-<runId>-<fault>`. */
  readonly runId: string;
  /** This fault's unique name, `aire-<runId>-<phase>-<index>-<kind>`. */
  readonly faultName: string;
  /** The Toxiproxy in front of the providers (embedded, container or url backend). */
  readonly toxiproxy: Toxiproxy;
  /** Name of the Toxiproxy proxy that sits in front of a provider. */
  proxyName(provider: string): string;
  /** The admin API of a synthetic provider (for provider-level faults). */
  provider(name: string): ProviderAdmin;
  /** With target.kubernetes: the cluster for Kubernetes faults. */
  readonly kubernetes?: KubernetesAccess;
  /** Events the fault reports while active (e.g. each pod it kills), written to the ledger. */
  event(type: string, data: Record<string, unknown>): void;
  /** Aborts when the run is interrupted; long-running faults (repeats) stop on it. */
  signal: AbortSignal;
}

/** One entry of the fault registry. */
export interface FaultDefinition<S extends z.ZodType<{ kind: string }>> {
  readonly kind: z.output<S>["kind"];
  readonly params: S;
  /** One human line for `aire plan` and the event log. */
  describe(params: z.output<S>): string;
  /** Applies the fault and returns how to revert it. Must not leave anything behind when it throws. */
  inject(ctx: FaultContext, params: z.output<S>): Promise<Undo>;
}
