/**
 * A local double of the Kubernetes API, just what `k8s-pod-kill` calls, on 127.0.0.1: list pods by
 * an equality label selector, delete a pod (`gracePeriodSeconds`, `dryRun=All`), with Bearer token
 * auth and a token that may list but not delete (RBAC's 403). A stand-in ReplicaSet replaces each
 * deleted pod after `replaceAfterMs` (not Ready), Ready `readyAfterMs` later. Responses follow the
 * API's shapes (PodList, Pod, Status). It is the only cluster aire's tests ever touch.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFile } from "node:fs/promises";

export interface FakePod {
  name: string;
  labels: Record<string, string>;
  phase: "Running" | "Pending";
  ready: boolean;
  deletionTimestamp?: string;
}

export interface KubeApiOptions {
  namespace: string;
  pods: FakePod[];
  /** Replace a deleted pod after this long (undefined: never). */
  replaceAfterMs?: number;
  readyAfterMs?: number;
  token: string;
  /** A token that may list pods but not delete them. */
  readOnlyToken?: string;
}

export interface KubeApiCall {
  method: string;
  path: string;
  query: Record<string, string>;
}

export async function startKubeApi(options: KubeApiOptions) {
  const pods = new Map(options.pods.map((p) => [p.name, { ...p }]));
  const calls: KubeApiCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  let generation = 0;
  const podJson = (p: FakePod) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name, namespace: options.namespace, labels: p.labels, ...(p.deletionTimestamp ? { deletionTimestamp: p.deletionTimestamp } : {}) },
    status: { phase: p.phase, conditions: [{ type: "Ready", status: p.ready ? "True" : "False" }] },
  });
  const status = (res: ServerResponse, code: number, reason: string, message: string) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    calls.push({ method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${options.token}` && auth !== `Bearer ${options.readOnlyToken}`) return status(res, 401, "Unauthorized", "Unauthorized");
    const list = new RegExp(`^/api/v1/namespaces/${options.namespace}/pods$`).exec(url.pathname);
    const one = new RegExp(`^/api/v1/namespaces/${options.namespace}/pods/([^/]+)$`).exec(url.pathname);
    if (req.method === "GET" && list) {
      const selector = (url.searchParams.get("labelSelector") ?? "").split(",").filter(Boolean);
      if (selector.some((s) => !/^[\w./-]+=[\w.-]+$/.test(s))) return status(res, 400, "BadRequest", "this double understands equality selectors only");
      const match = (p: FakePod) => selector.every((s) => p.labels[s.split("=")[0]!] === s.split("=")[1]);
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(generation) }, items: [...pods.values()].filter(match).map(podJson) }));
    }
    if (req.method === "DELETE" && one) {
      const name = decodeURIComponent(one[1]!);
      if (auth === `Bearer ${options.readOnlyToken}`) return status(res, 403, "Forbidden", `pods "${name}" is forbidden: User "reader" cannot delete resource "pods" in API group "" in the namespace "${options.namespace}"`);
      const pod = pods.get(name);
      if (!pod) return status(res, 404, "NotFound", `pods "${name}" not found`);
      res.writeHead(200, { "content-type": "application/json" });
      if (url.searchParams.get("dryRun") === "All") return res.end(JSON.stringify(podJson(pod)));
      const grace = Number(url.searchParams.get("gracePeriodSeconds") ?? 30);
      pod.deletionTimestamp = new Date().toISOString();
      res.end(JSON.stringify(podJson(pod)));
      generation++;
      later(grace * 1000, () => pods.delete(name));
      if (options.replaceAfterMs !== undefined) {
        later(options.replaceAfterMs, () => {
          const replacement: FakePod = { name: `${name.replace(/-r\d+$/, "")}-r${generation}`, labels: pod.labels, phase: "Pending", ready: false };
          pods.set(replacement.name, replacement);
          later(options.readyAfterMs ?? 0, () => Object.assign(replacement, { phase: "Running", ready: true }));
        });
      }
      return;
    }
    return status(res, 404, "NotFound", `the double has no ${req.method} ${url.pathname}`);
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    pods,
    deletes: () => calls.filter((c) => c.method === "DELETE"),
    /** A kubeconfig for this server, with one context per token. */
    async writeKubeconfig(path: string, server = url) {
      const users = [{ name: "admin", user: { token: options.token } }, ...(options.readOnlyToken ? [{ name: "reader", user: { token: options.readOnlyToken } }] : [])];
      await writeFile(
        path,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "double", cluster: { server, "insecure-skip-tls-verify": true } }],
          users,
          contexts: users.map((u) => ({ name: u.name, context: { cluster: "double", user: u.name, namespace: options.namespace } })),
          "current-context": "admin",
        }),
      );
    },
    async [Symbol.asyncDispose]() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
