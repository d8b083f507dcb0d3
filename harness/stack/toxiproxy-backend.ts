/**
 * Where the Toxiproxy in front of the providers comes from, behind one interface:
 * - `embedded` (default): `aire serve toxiproxy` as a child process;
 * - `container`: the real `ghcr.io/shopify/toxiproxy:2.12.0` started with testcontainers (needs a
 *   Docker engine); it reaches the host's providers at host.testcontainers.internal;
 * - `url`: a Toxiproxy that already runs (on loopback).
 * Faults talk to any of them through toxiproxy-node-client only.
 * @module
 */
import { Toxiproxy } from "toxiproxy-node-client";
import { HarnessError } from "../base/errors.js";
import { isLoopbackHost } from "../base/net/http-server.js";
import { startChildService } from "../base/lifecycle/child-service.js";

/** Pinned here, in one place. */
export const TOXIPROXY_IMAGE = "ghcr.io/shopify/toxiproxy:2.12.0";
const FIRST_PROXIED_PORT = 8666;
const PROXIED_PORTS = 32;

export interface ToxiproxyBackend {
  readonly kind: "embedded" | "container" | "url";
  readonly url: string;
  readonly pid?: number;
  /** `listen` and `upstream` for the proxy in front of the provider at `providerPort`. */
  proxySpec(index: number, providerPort: number): { listen: string; upstream: string };
  /** The address the gateway dials for a proxy that reported `listen`. */
  reachable(listen: string): string;
  close(): Promise<void>;
}

export async function startEmbeddedToxiproxy(signal?: AbortSignal): Promise<ToxiproxyBackend> {
  const service = await startChildService("toxiproxy", "toxiproxy", [], signal ? { signal } : {});
  return {
    kind: "embedded",
    url: service.url,
    pid: service.pid,
    proxySpec: (_i, port) => ({ listen: "127.0.0.1:0", upstream: `127.0.0.1:${port}` }),
    reachable: (listen) => listen,
    close: () => service.stop(),
  };
}

export async function connectToxiproxy(url: string): Promise<ToxiproxyBackend> {
  const parsed = new URL(url);
  if (!isLoopbackHost(parsed.hostname)) {
    throw new HarnessError("SCENARIO_INVALID", { message: `toxiproxy url ${url}: only loopback Toxiproxy servers are allowed` });
  }
  try {
    await new Toxiproxy(url.replace(/\/$/, "")).getVersion();
  } catch (err) {
    throw new HarnessError("TARGET_UNREACHABLE", { message: `no Toxiproxy answers at ${url}`, cause: err });
  }
  return {
    kind: "url",
    url: url.replace(/\/$/, ""),
    proxySpec: (_i, port) => ({ listen: "127.0.0.1:0", upstream: `127.0.0.1:${port}` }),
    reachable: (listen) => listen,
    close: async () => {},
  };
}

/** The real Toxiproxy in a container; throws TARGET_UNREACHABLE when no Docker engine answers. */
export async function startContainerToxiproxy(providerPorts: readonly number[]): Promise<ToxiproxyBackend> {
  const { GenericContainer, TestContainers, Wait, getContainerRuntimeClient } = await import("testcontainers");
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new HarnessError("TARGET_UNREACHABLE", { message: "toxiproxy backend 'container' needs a Docker engine, and none answers", cause: err });
  }
  // Must come before the container starts, so it can reach the providers on the host.
  await TestContainers.exposeHostPorts(...providerPorts);
  const container = await new GenericContainer(TOXIPROXY_IMAGE)
    .withExposedPorts(8474, ...Array.from({ length: PROXIED_PORTS }, (_, i) => FIRST_PROXIED_PORT + i))
    .withWaitStrategy(Wait.forHttp("/version", 8474))
    .withStartupTimeout(60_000)
    .start();
  const host = container.getHost();
  return {
    kind: "container",
    url: `http://${host}:${container.getMappedPort(8474)}`,
    proxySpec: (i, port) => ({ listen: `0.0.0.0:${FIRST_PROXIED_PORT + i}`, upstream: `host.testcontainers.internal:${port}` }),
    reachable: (listen) => `${host}:${container.getMappedPort(Number(listen.slice(listen.lastIndexOf(":") + 1)))}`,
    close: async () => {
      await container.stop();
    },
  };
}
