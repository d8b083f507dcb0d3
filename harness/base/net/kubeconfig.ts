/**
 * A kubeconfig loaded as `kubectl` loads it (@kubernetes/client-node: contexts, tokens, client
 * certificates, exec plugins), and its API server checked before any call: loopback, or a host the
 * scenario's `allow:` names. Shared by the `k8s-pod-kill` fault and `aire run --load k6-operator`.
 * @module
 */
import { resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { HarnessError, type HarnessErrorCode } from "../errors.js";
import { isLoopbackHost } from "./http-server.js";

export interface KubeAccess {
  /** The kubeconfig file (absolute, or relative to the working directory); default: KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  /** Whether the scenario's `allow:` names this (non-loopback) host. */
  allowed(host: string): boolean;
}

/** The kubeconfig and its current cluster's server; `code` is the error a refusal throws. */
export async function loadKubeConfig(access: KubeAccess, code: HarnessErrorCode): Promise<{ kc: KubeConfig; server: string }> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  try {
    if (access.kubeconfig !== undefined) kc.loadFromFile(resolve(access.kubeconfig));
    else kc.loadFromDefault();
    if (access.context !== undefined) kc.setCurrentContext(access.context);
  } catch (err) {
    throw new HarnessError(code, { message: `cannot load the kubeconfig${access.kubeconfig ? ` ${access.kubeconfig}` : ""}: ${(err as Error).message}` });
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new HarnessError(code, { message: `the kubeconfig${access.context ? ` context ${access.context}` : ""} names no cluster server (set KUBECONFIG, or target.kubernetes in the scenario)` });
  const host = new URL(server).hostname;
  if (!isLoopbackHost(host) && !access.allowed(host)) {
    throw new HarnessError(code, { message: `the Kubernetes API server ${server} is not loopback and not in the scenario's allow: list; refused before any call (add "${host}" to allow:)` });
  }
  return { kc, server };
}
