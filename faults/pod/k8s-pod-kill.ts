/**
 * `k8s-pod-kill`: deletes pods of a team's own Kubernetes workload (a GPU node lost, an OOM kill)
 * through the Kubernetes API (@kubernetes/client-node), with a target.url scenario.
 *
 * **Dry run by default**: it lists the pods the selector matches, picks the victims, and sends
 * each DELETE with `dryRun=All` — the API server checks that the pod exists and that the
 * credentials may delete it, and deletes nothing. Events `k8s_pod_kill` say `dryRun: true`.
 * With `dryRun: false` the pods are deleted with the grace period (default 0 s: a crash).
 *
 * A pod cannot be un-deleted; its controller replaces it. So while the fault is active aire watches
 * for that (a list every second): when the selector has as many Ready pods as before the kill, not
 * counting the victims, it records `k8s_pods_recovered` with the time it took. The Undo stops the
 * watch, recording `k8s_pods_not_recovered` if that had not happened by the end of the fault.
 *
 * Safety: the API server named by the kubeconfig must be loopback or in the scenario's `allow:`;
 * the selector may not be empty; only Running pods not already terminating are candidates.
 * Tested only against a local double of the API (test/helpers/kube-api.ts), never a real cluster.
 * @example
 * target: { url: https://llm-gateway.internal/v1, kubernetes: { context: staging } }
 * allow: [ k8s-api.staging.internal, llm-gateway.internal ]
 * faults:
 *   - { kind: k8s-pod-kill, namespace: inference, selector: app=vllm, count: 1, dryRun: false }
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { HarnessError } from "../../harness/base/errors.js";
import { loadKubeConfig } from "../../harness/base/net/kubeconfig.js";
import { hashString } from "../../harness/base/random/prng.js";
import { once, type FaultDefinition, type KubernetesAccess } from "../types.js";

const params = closed({
  kind: z.literal("k8s-pod-kill"),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes namespace name, e.g. inference").meta({ description: "The namespace of the pods.", example: "inference" }),
  selector: z.string().trim().min(1, "a label selector such as app=vllm (an empty one would match every pod)").meta({ description: "A label selector; never empty (that would match every pod of the namespace).", example: "app=vllm,tier=gpu" }),
  count: z.number().int().positive().optional().meta({ description: "How many matching pods to delete (default 1).", example: 2 }),
  percent: fraction.optional().meta({ description: "Or this share of the matching pods (at least one).", example: "25%" }),
  gracePeriod: duration.prefault("0s").meta({ description: "The pods' grace period: 0s is a crash (SIGKILL), more lets them drain.", example: "30s" }),
  dryRun: z.boolean().default(true).meta({ description: "List and check with the API server's dry run and delete nothing (the default); false deletes.", example: false }),
});

interface PodView {
  name: string;
  ready: boolean;
  terminating: boolean;
  running: boolean;
}

const clients = new WeakMap<KubernetesAccess, ReturnType<typeof connect>>();

/**
 * The API client for the scenario's kubeconfig and context, after checking where it points; made
 * once per run. A run makes it before its traffic starts (loading the client library takes the
 * event loop for about a second, which must not happen while requests are being timed).
 */
export function kubernetesClient(access: KubernetesAccess): ReturnType<typeof connect> {
  let made = clients.get(access);
  if (!made) clients.set(access, (made = connect(access)));
  return made;
}

async function connect(access: KubernetesAccess) {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const { kc, server } = await loadKubeConfig(access, "FAULT_INJECT_FAILED");
  return { api: kc.makeApiClient(CoreV1Api), server };
}

function view(pod: { metadata?: { name?: string; deletionTimestamp?: unknown }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }): PodView {
  return {
    name: pod.metadata?.name ?? "",
    running: pod.status?.phase === "Running",
    terminating: pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null,
    ready: pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
  };
}

export const k8sPodKill: FaultDefinition<typeof params> = {
  kind: "k8s-pod-kill",
  params,
  describe: (p) =>
    `${p.dryRun ? "dry run: would delete" : "delete"} ${p.percent !== undefined ? `${Math.round(p.percent * 100)}% of the` : (p.count ?? 1)} pod(s) matching ${p.selector} in namespace ${p.namespace}` +
    `${p.dryRun ? "" : ` (grace period ${formatDuration(p.gracePeriod)})`}`,
  inject: async (ctx, p) => {
    if (!ctx.kubernetes) throw new HarnessError("FAULT_INJECT_FAILED", { message: "k8s-pod-kill needs target.kubernetes (the kubeconfig and context of the cluster)" });
    const { api: raw, server } = await kubernetesClient(ctx.kubernetes);
    // The API's refusals (401, 403, 404) as one readable line: the Status message the server sent.
    const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        const e = err as { code?: number; body?: unknown; message?: string };
        let message = e.message ?? String(err);
        try {
          const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
          if (body && typeof body === "object" && "message" in body) message = String((body as { message: unknown }).message);
        } catch {
          // not a Status body: keep the client's message
        }
        throw new HarnessError("FAULT_INJECT_FAILED", { message: `${what} on ${server}: ${e.code !== undefined ? `HTTP ${e.code}: ` : ""}${message}` });
      }
    };
    const list = async () => (await call(`listing pods ${p.selector} in ${p.namespace}`, () => raw.listNamespacedPod({ namespace: p.namespace, labelSelector: p.selector }))).items.map(view);
    const pods = await list();
    const candidates = pods.filter((pod) => pod.running && !pod.terminating).sort((a, b) => a.name.localeCompare(b.name));
    if (candidates.length === 0) throw new HarnessError("FAULT_INJECT_FAILED", { message: `no running pod matches ${p.selector} in namespace ${p.namespace} (${server}): nothing to kill, so the hypothesis would test nothing` });
    const readyBefore = pods.filter((pod) => pod.ready && !pod.terminating).length;
    const n = Math.min(candidates.length, p.percent !== undefined ? Math.max(1, Math.round(candidates.length * p.percent)) : (p.count ?? 1));
    // Which pods: from a point fixed by the fault's name, so a re-run picks the same ones.
    const first = hashString(ctx.faultName) % candidates.length;
    const victims = [...candidates.slice(first), ...candidates.slice(0, first)].slice(0, n);
    for (const pod of victims) {
      await call(`${p.dryRun ? "dry-run deleting" : "deleting"} pod ${p.namespace}/${pod.name}`, () => raw.deleteNamespacedPod({ name: pod.name, namespace: p.namespace, gracePeriodSeconds: Math.round(p.gracePeriod / 1000), ...(p.dryRun ? { dryRun: "All" } : {}) }));
      ctx.event("k8s_pod_kill", { namespace: p.namespace, pod: pod.name, dryRun: p.dryRun, gracePeriodMs: p.gracePeriod, of: candidates.length });
    }
    if (p.dryRun) return once(async () => {});
    const killedAt = performance.now();
    const recoveryEvent = (type: string, ready: number) => ctx.event(type, { namespace: p.namespace, selector: p.selector, ready, readyBefore, afterMs: Math.round(performance.now() - killedAt) });
    let recovered = false;
    let lastReady = 0;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const watch = async () => {
      try {
        lastReady = (await list()).filter((pod) => pod.ready && !pod.terminating && !victims.some((v) => v.name === pod.name)).length;
        if (stopped) return;
        if (lastReady >= readyBefore) {
          recovered = true;
          recoveryEvent("k8s_pods_recovered", lastReady);
          return;
        }
      } catch (err) {
        ctx.event("k8s_watch_failed", { error: String(err) });
      }
      if (!stopped) timer = setTimeout(() => void watch(), 1000);
    };
    timer = setTimeout(() => void watch(), 1000);
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
    };
    ctx.signal.addEventListener("abort", stop, { once: true });
    return once(async () => {
      // Nothing to restore by hand: the workload's controller replaces its pods; stop watching it do so.
      stop();
      if (!recovered) recoveryEvent("k8s_pods_not_recovered", lastReady);
    });
  },
};
