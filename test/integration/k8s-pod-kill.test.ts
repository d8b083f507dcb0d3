/**
 * `k8s-pod-kill` through @kubernetes/client-node against a local double of the Kubernetes API
 * (test/helpers/kube-api.ts): a dry run deletes nothing but asks the server; a real kill deletes
 * the chosen pods with the grace period and watches the controller replace them; a selector that
 * matches nothing, credentials that may not delete and an API server outside `allow:` fail the
 * fault before anything is deleted.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Toxiproxy } from "toxiproxy-node-client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { faultDefinition, faultSchema, type FaultContext, type KubernetesAccess } from "../../faults/index.js";
import { parseScenario } from "../../harness/scenario/load.js";
import { startKubeApi, type FakePod } from "../helpers/kube-api.js";

const TOKEN = "kube-token-0123";
const pods = (n: number): FakePod[] => Array.from({ length: n }, (_, i) => ({ name: `vllm-${i}`, labels: { app: "vllm" }, phase: "Running", ready: true }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aire-k8s-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function context(access: KubernetesAccess, events: { type: string; data: Record<string, unknown> }[], signal = new AbortController().signal): FaultContext {
  return {
    runId: "t",
    faultName: "aire-t-gpu-0-k8s-pod-kill",
    toxiproxy: new Toxiproxy("http://127.0.0.1:9"),
    proxyName: (name) => name,
    provider: () => {
      throw new Error("no provider in this test");
    },
    kubernetes: access,
    event: (type, data) => void events.push({ type, data }),
    signal,
  };
}

const inject = (ctx: FaultContext, params: Record<string, unknown>) => {
  const spec = faultSchema.parse({ kind: "k8s-pod-kill", namespace: "inference", selector: "app=vllm", ...params });
  return faultDefinition(spec).inject(ctx, spec);
};

describe("k8s-pod-kill", () => {
  test("a dry run (the default) picks its victims and asks the API server, which deletes nothing", async () => {
    await using api = await startKubeApi({ namespace: "inference", pods: [...pods(4), { name: "other", labels: { app: "gateway" }, phase: "Running", ready: true }], token: TOKEN });
    const kubeconfig = join(dir, "dry.json");
    await api.writeKubeconfig(kubeconfig);
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const undo = await inject(context({ kubeconfig, allowed: () => false }, events), { count: 2 });
    expect(api.calls[0]).toMatchObject({ method: "GET", path: "/api/v1/namespaces/inference/pods", query: { labelSelector: "app=vllm" } });
    expect(api.deletes().map((c) => c.query)).toEqual([{ dryRun: "All", gracePeriodSeconds: "0" }, { dryRun: "All", gracePeriodSeconds: "0" }]);
    expect(events.map((e) => [e.type, e.data.dryRun])).toEqual([["k8s_pod_kill", true], ["k8s_pod_kill", true]]);
    // Only pods the selector matches, and nothing deleted.
    expect(api.deletes().every((c) => /vllm-\d$/.test(c.path))).toBe(true);
    expect([...api.pods.values()].every((p) => p.deletionTimestamp === undefined)).toBe(true);
    await undo();
    expect(api.deletes()).toHaveLength(2);
  });

  test("a real kill deletes the victims with the grace period, then sees the controller replace them (recovery time recorded)", async () => {
    await using api = await startKubeApi({ namespace: "inference", pods: pods(4), token: TOKEN, replaceAfterMs: 300, readyAfterMs: 500 });
    const kubeconfig = join(dir, "real.json");
    await api.writeKubeconfig(kubeconfig);
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const undo = await inject(context({ kubeconfig, allowed: () => false }, events), { percent: "50%", dryRun: false, gracePeriod: "0s" });
    const deleted = api.deletes();
    expect(deleted.map((c) => c.query)).toEqual([{ gracePeriodSeconds: "0" }, { gracePeriodSeconds: "0" }]);
    const victims = deleted.map((c) => c.path.split("/").at(-1));
    await new Promise((r) => setTimeout(r, 100));
    // The effect: the victims are gone, the other two still run.
    expect([...api.pods.keys()].sort()).toEqual(["vllm-0", "vllm-1", "vllm-2", "vllm-3"].filter((n) => !victims.includes(n)));
    // The replacements are Ready 800 ms after the kill; the watch lists every second.
    const started = performance.now();
    while (!events.some((e) => e.type === "k8s_pods_recovered") && performance.now() - started < 5_000) await new Promise((r) => setTimeout(r, 50));
    const recovered = events.find((e) => e.type === "k8s_pods_recovered")!;
    expect(recovered.data).toMatchObject({ ready: 4, readyBefore: 4 });
    expect(recovered.data.afterMs as number).toBeGreaterThanOrEqual(800);
    expect(recovered.data.afterMs as number).toBeLessThan(2_500);
    await undo();
    // The undo stops the watch: no more calls after it.
    const calls = api.calls.length;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(api.calls.length).toBe(calls);
    expect(events.filter((e) => e.type.startsWith("k8s_pods"))).toHaveLength(1);
  });

  test("pods that never come back are reported at the end of the fault", async () => {
    await using api = await startKubeApi({ namespace: "inference", pods: pods(2), token: TOKEN });
    const kubeconfig = join(dir, "gone.json");
    await api.writeKubeconfig(kubeconfig);
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const undo = await inject(context({ kubeconfig, allowed: () => false }, events), { dryRun: false, gracePeriod: "1s" });
    expect(api.deletes()[0]!.query).toEqual({ gracePeriodSeconds: "1" });
    await new Promise((r) => setTimeout(r, 1_300));
    await undo();
    expect(events.at(-1)).toMatchObject({ type: "k8s_pods_not_recovered", data: { ready: 1, readyBefore: 2 } });
  });

  test("refused before anything is deleted: no matching pod, credentials that may not delete, an API server outside allow:", async () => {
    await using api = await startKubeApi({ namespace: "inference", pods: pods(3), token: TOKEN, readOnlyToken: "reader-token" });
    const kubeconfig = join(dir, "refused.json");
    await api.writeKubeconfig(kubeconfig);
    const events: { type: string; data: Record<string, unknown> }[] = [];
    await expect(inject(context({ kubeconfig, allowed: () => false }, events), { selector: "app=nothing" })).rejects.toThrow(/no running pod matches app=nothing in namespace inference/);
    // RBAC: the dry run is how a game day learns, before the day, that its credentials cannot delete.
    await expect(inject(context({ kubeconfig, context: "reader", allowed: () => false }, events), {})).rejects.toThrow(/dry-run deleting pod inference\/vllm-\d on http:\/\/127\.0\.0\.1:\d+: HTTP 403: pods "vllm-\d" is forbidden: User "reader" cannot delete/);
    expect(api.deletes().map((c) => c.query.dryRun)).toEqual(["All"]);
    expect(events).toEqual([]);
    const remote = join(dir, "remote.json");
    await api.writeKubeconfig(remote, "https://k8s-api.staging.example.com:6443");
    const before = api.calls.length;
    await expect(inject(context({ kubeconfig: remote, allowed: () => false }, events), {})).rejects.toThrow(/https:\/\/k8s-api\.staging\.example\.com:6443 is not loopback and not in the scenario's allow: list/);
    expect(api.calls.length).toBe(before);
    expect([...api.pods.values()].every((p) => p.deletionTimestamp === undefined)).toBe(true);
  });

  test("validation: only with target.url and target.kubernetes, never an empty selector, count or percent", () => {
    const scenario = (target: string, fault: string) => `apiVersion: aire/v1
name: k8s
target: ${target}
traffic: { arrival: { rate: 1/s } }
phases:
  - name: gpu
    duration: 5s
    faults: [ ${fault} ]
`;
    const issues = (text: string) => {
      const result = parseScenario(text, "k8s.yaml");
      return result.ok ? [] : result.issues.map((i) => `${i.path} ${i.message}`);
    };
    expect(issues(scenario("{ url: http://127.0.0.1:8080/v1, kubernetes: { context: staging } }", "{ kind: k8s-pod-kill, namespace: inference, selector: app=vllm }"))).toEqual([]);
    expect(issues(scenario("{ url: http://127.0.0.1:8080/v1 }", "{ kind: k8s-pod-kill, namespace: inference, selector: app=vllm }"))[0]).toContain("k8s-pod-kill needs target.kubernetes");
    expect(issues(scenario("{ reference: { providers: [ { name: p } ] } }", "{ kind: k8s-pod-kill, namespace: inference, selector: app=vllm }"))[0]).toContain("the reference stack's pods are killed with pod-kill");
    expect(issues(scenario("{ url: http://127.0.0.1:8080/v1, kubernetes: {} }", "{ kind: k8s-pod-kill, namespace: inference, selector: '' }"))[0]).toContain("an empty one would match every pod");
    expect(issues(scenario("{ url: http://127.0.0.1:8080/v1, kubernetes: {} }", "{ kind: k8s-pod-kill, namespace: inference, selector: app=vllm, count: 1, percent: 50% }"))[0]).toContain("give count or percent, not both");
  });
});
