/**
 * `aire run --load k6-operator [--runners N] [--namespace NS] [--yes]`: the run's traffic sent by
 * k6-operator's runners in a Kubernetes cluster, while aire keeps the timeline, the faults (the
 * team's Toxiproxy by URL, pod kills, provider admin APIs) and the scoring.
 *
 * **Dry run by default** (`dryRun`): the objects the run would create — the keys Secret (values
 * never printed), the results claim, the script ConfigMap, the results pod, the TestRun — and the
 * fault timeline, printed; each object sent to the API server with `dryRun=All` when a kubeconfig
 * is at hand, so its admission, RBAC and the CRD's schema judge it; nothing is created.
 *
 * With `--yes` (`K6OperatorLoad`):
 * 1. objects aire left behind by a run on this machine that is gone (SIGKILL) are deleted first:
 *    every object carries `aire.dev/holder: <host>-<pid>`;
 * 2. the installed CRD is read: its TestRun must have `spec.paused`, the operator's own way of
 *    holding the runners (`k6 run --paused`) until every runner pod runs and answers on its REST
 *    API, when its starter job resumes them all together;
 * 3. the objects are created; aire polls each runner's `/v1/status` through the API server's service
 *    proxy (`<testrun>-service-<i>:6565`) and the run's timeline — the faults — starts at the first
 *    poll that finds a runner resumed; each runner's start as seen is recorded (their spread);
 * 4. while the runners send, the TestRun's stage and the runner pods are watched: a runner that
 *    fails is an infrastructure error (exit 3) after rollback; an abort or interrupt stops the
 *    runners (`PATCH /v1/status {stopped: true}`);
 * 5. once done, each runner's `--out json` file is read from the results pod (busybox httpd, through
 *    the pod proxy) into the results directory's `k6/`, and scored as `aire ingest k6` scores it.
 *    Every object is then deleted (the TestRun's jobs and pods go with it).
 *
 * A k6 point's time is its runner's wall clock (NTP-synchronized nodes); `traffic_end` has each
 * runner's first request against the start seen, which bounds the skew. The runners' points are
 * read when they are done, so the live progress line and the abort conditions do not see them
 * during the run (the log reports the runners' request counts every 10 s from their REST API).
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { stringify } from "yaml";
import { HarnessError } from "../../base/errors.js";
import { processAlive } from "../../base/lifecycle/temp.js";
import { sleep } from "../../base/lifecycle/sleep.js";
import type { ExternalLoad } from "../../orchestrator/run-scenario.js";
import type { LoadedScenario } from "../../scenario/load.js";
import type { TrafficResult } from "../../traffic/generator.js";
import { exportK6, type ExportResult, type KubeObject } from "./export.js";
import { k6Samples, readK6File } from "./ingest.js";
import { KubeHttp, statusMessage, type KubeAccess } from "./kube-http.js";
import { newRunId } from "../../results/run-id.js";

const MANAGED = "app.kubernetes.io/managed-by";
const RUN = "aire.dev/run";
const HOLDER = "aire.dev/holder";
const CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/testruns.k6.io";
/** k6's exit codes that end a run normally: 0, thresholds crossed (99), stopped by a signal (105; a pod deleted). */
const NORMAL_EXITS = new Set([0, 99, 105]);
/** k6's exit code once stopped through its REST API (`stopped: true`): normal once aire has stopped the runners. */
const STOPPED_VIA_REST = 103;
/** k6's lib.ExecutionStatus "Started": resumed, past the pause. */
const STARTED = 5;
/** This machine, as 8 hex digits (as the Toxiproxy sweep names it). */
const host = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);

export interface K6OperatorOptions {
  runners: number;
  sse: boolean;
  /** The runner image (required with --sse: a k6 built with xk6-sse). */
  image?: string;
  namespace: string;
  kube: KubeAccess;
}

/** Where the API keeps each kind aire creates. */
function collection(kind: string, namespace: string): string {
  const core = (plural: string) => `/api/v1/namespaces/${namespace}/${plural}`;
  switch (kind) {
    case "Secret":
      return core("secrets");
    case "PersistentVolumeClaim":
      return core("persistentvolumeclaims");
    case "ConfigMap":
      return core("configmaps");
    case "Pod":
      return core("pods");
    case "TestRun":
      return `/apis/k6.io/v1alpha1/namespaces/${namespace}/testruns`;
    default:
      throw new HarnessError("USAGE", { message: `aire creates no ${kind} in a cluster` });
  }
}
const SWEPT_KINDS = ["TestRun", "Pod", "ConfigMap", "Secret", "PersistentVolumeClaim"] as const;

/** The TestRun's name for a run: `aire-<scenario>-<time>-<hex>`, short enough for the operator's `<name>-service-<i>`. */
export function testRunName(runId: string): string {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
  const m = /^(.*)-(\d{8}-\d{6}-[0-9a-f]{4})$/.exec(runId);
  return m ? `aire-${slug(m[1]!).slice(0, 20).replace(/-$/, "")}-${m[2]}` : `aire-${slug(runId).slice(0, 40)}`;
}

export interface OperatorPlan {
  name: string;
  /** In creation order: Secret, claim, ConfigMap, results pod, TestRun. */
  objects: KubeObject[];
  exported: ExportResult;
}

/**
 * The objects a run would create. `keys`: each key variable's value (undefined: not set; the
 * Secret then lacks it and an optional one stays unset in the runners).
 */
export async function planObjects(loaded: LoadedScenario, o: K6OperatorOptions, p: { name: string; outDir: string; url: string; keys: Record<string, string | undefined> }): Promise<OperatorPlan> {
  const labels = { [RUN]: p.name };
  const exported = await exportK6(loaded, { outDir: p.outDir, url: p.url, sse: o.sse, ...(o.image !== undefined ? { image: o.image } : {}), parallelism: o.runners, namespace: o.namespace, bodies: 2000, maxVus: 2000, name: p.name, keysSecret: `${p.name}-keys`, labels });
  const stringData: Record<string, string> = {};
  for (const k of exported.keys) if (p.keys[k.env] !== undefined) stringData[k.env] = p.keys[k.env]!;
  const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: `${p.name}-keys`, namespace: o.namespace, labels: { [MANAGED]: "aire", ...labels } }, type: "Opaque", stringData };
  const { claim, configMap, fetchPod, testRun } = exported.manifests;
  const objects = [secret, claim, configMap, fetchPod, testRun].map((obj) => ({ ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [HOLDER]: `${host}-${process.pid}` } } }));
  return { name: p.name, objects, exported };
}

/** The plan as the dry run prints it: the Secret's values and the ConfigMap's files by size only. */
export function renderObjects(objects: readonly KubeObject[]): string {
  const shown = objects.map((obj) => {
    if (obj.kind === "Secret") return { ...obj, stringData: Object.fromEntries(Object.keys((obj.stringData as Record<string, string>) ?? {}).map((k) => [k, `<from $${k}; never printed>`])) };
    if (obj.kind === "ConfigMap") return { ...obj, data: Object.fromEntries(Object.entries((obj.data as Record<string, string>) ?? {}).map(([k, v]) => [k, `<${Buffer.byteLength(v)} bytes: aire export k6 writes this file>`])) };
    return obj;
  });
  return shown.map((obj) => stringify(obj, { lineWidth: 0 })).join("---\n");
}

/** The installed CRD must let a TestRun hold its runners (spec.paused); a CRD aire may not read is said and passed. */
export async function checkCrd(api: KubeHttp): Promise<string> {
  const r = await api.request("GET", CRD);
  if (r.status === 404) throw new HarnessError("USAGE", { message: `k6-operator is not installed on ${api.server}: there is no CustomResourceDefinition testruns.k6.io (helm install k6-operator grafana/k6-operator)` });
  if (r.status === 401 || r.status === 403) return `the CRD testruns.k6.io could not be read (HTTP ${r.status}: ${statusMessage(r)}); the API server checks the TestRun against it when it is created`;
  if (r.status !== 200) throw new HarnessError("TARGET_UNREACHABLE", { message: `reading the CRD testruns.k6.io on ${api.server}: HTTP ${r.status}: ${statusMessage(r)}` });
  const crd = r.json as { spec?: { versions?: { name: string; served?: boolean; schema?: { openAPIV3Schema?: { properties?: { spec?: { properties?: Record<string, unknown> } } } } }[] } };
  const version = crd.spec?.versions?.find((v) => v.name === "v1alpha1" && v.served !== false);
  if (!version) throw new HarnessError("USAGE", { message: `the installed k6-operator does not serve k6.io/v1alpha1 TestRun (versions: ${crd.spec?.versions?.map((v) => v.name).join(", ") || "none"})` });
  const fields = version.schema?.openAPIV3Schema?.properties?.spec?.properties ?? {};
  const missing = ["paused", "parallelism", "script", "arguments", "runner"].filter((f) => !(f in fields));
  if (missing.length > 0) {
    throw new HarnessError("USAGE", { message: `the installed k6-operator's TestRun has no spec.${missing.join(", spec.")}${missing.includes("paused") ? ": it cannot hold its runners until all are ready, so the faults could not start with the traffic; upgrade k6-operator" : ""}` });
  }
  return "the CRD testruns.k6.io has spec.paused: the runners start paused and the operator's starter resumes them together";
}

/** Creates one object (`dryRun`: the API server checks it and keeps nothing). */
async function create(api: KubeHttp, obj: KubeObject, dryRun: boolean): Promise<void> {
  const r = await api.request("POST", `${collection(obj.kind, obj.metadata.namespace)}${dryRun ? "?dryRun=All" : ""}`, obj);
  if (r.status !== 200 && r.status !== 201 && r.status !== 202) {
    throw new HarnessError(r.status === 401 || r.status === 403 || r.status === 422 || r.status === 409 ? "USAGE" : "TARGET_UNREACHABLE", { message: `${dryRun ? "dry-run creating" : "creating"} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} on ${api.server}: HTTP ${r.status}: ${statusMessage(r)}` });
  }
}

async function remove(api: KubeHttp, kind: string, namespace: string, name: string): Promise<boolean> {
  const r = await api.request("DELETE", `${collection(kind, namespace)}/${name}`, { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" });
  if (r.status === 404) return false;
  if (r.status >= 300) throw new HarnessError("TARGET_UNREACHABLE", { message: `deleting ${kind} ${namespace}/${name} on ${api.server}: HTTP ${r.status}: ${statusMessage(r)}` });
  return true;
}

/**
 * Deletes what runs of this machine left behind when they were killed: objects managed by aire
 * whose holder is a process of this host that is gone. Another host's objects are left alone.
 */
export async function sweepCluster(api: KubeHttp, namespace: string): Promise<string[]> {
  const swept: string[] = [];
  for (const kind of SWEPT_KINDS) {
    const r = await api.request("GET", `${collection(kind, namespace)}?labelSelector=${encodeURIComponent(`${MANAGED}=aire`)}`);
    if (r.status !== 200) continue;
    for (const item of (r.json as { items?: KubeObject[] }).items ?? []) {
      const m = /^([0-9a-f]{8})-(\d+)$/.exec(item.metadata.annotations?.[HOLDER] ?? "");
      if (!m || m[1] !== host || Number(m[2]) === process.pid || processAlive(Number(m[2]))) continue;
      if (await remove(api, kind, namespace, item.metadata.name)) swept.push(`${kind}/${item.metadata.name}`);
    }
  }
  return swept;
}

/** The dry run: prints the objects and asks the API server to check them; creates nothing. */
export async function dryRun(loaded: LoadedScenario, o: K6OperatorOptions, p: { outDir: string; print(text: string): void }): Promise<void> {
  const url = loaded.scenario.target.url!;
  const keys = Object.fromEntries(keyEnvs(loaded).map((env) => [env, process.env[env]]));
  const plan = await planObjects(loaded, o, { name: testRunName(newRunId(loaded.scenario.name)), outDir: p.outDir, url, keys });
  p.print(renderObjects(plan.objects));
  let api: KubeHttp;
  try {
    api = await KubeHttp.connect(o.kube);
  } catch (err) {
    if (err instanceof HarnessError && /cannot load the kubeconfig|names no cluster server/.test(err.message)) {
      p.print(`\nnot checked against a cluster: ${err.message}`);
      return;
    }
    throw err;
  }
  p.print(`\nchecked against ${api.server} (namespace ${o.namespace}):`);
  p.print(`  ${await checkCrd(api)}`);
  for (const obj of plan.objects) {
    await create(api, obj, true);
    p.print(`  ${obj.kind} ${obj.metadata.name}: accepted by the API server's dry run`);
  }
}

/** The key variables the exported script reads: the target's, then each tenant's. */
function keyEnvs(loaded: LoadedScenario): string[] {
  const { scenario } = loaded;
  return [scenario.target.apiKeyEnv ?? "AIRE_API_KEY", ...scenario.traffic.tenants.map((t) => t.apiKeyEnv ?? `AIRE_KEY_${t.name.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`)];
}

interface RunnerPod {
  name: string;
  index: number;
  phase: string;
  exitCode?: number;
  reason?: string;
}

interface RunnerStatus {
  paused?: boolean;
  status?: number;
}

export class K6OperatorLoad implements ExternalLoad {
  readonly #o: K6OperatorOptions;
  #api: KubeHttp | undefined;
  #plan: OperatorPlan | undefined;
  #created: KubeObject[] = [];
  #loaded: LoadedScenario | undefined;
  #dir = "";
  #log: (line: string) => void = () => {};
  /** Each runner's start as seen (performance.now()), by index 1…N. */
  #seen: (number | undefined)[] = [];
  #closed = false;

  constructor(options: K6OperatorOptions) {
    this.#o = options;
  }

  get #ns(): string {
    return this.#o.namespace;
  }

  /** A runner's REST API through the API server's service proxy. */
  #runnerPath(index: number, path: string): string {
    return `/api/v1/namespaces/${this.#ns}/services/${this.#plan!.name}-service-${index}:6565/proxy${path}`;
  }

  async #runnerStatus(index: number): Promise<RunnerStatus | undefined> {
    const r = await this.#api!.request("GET", this.#runnerPath(index, "/v1/status"), undefined, { timeoutMs: 5000 }).catch(() => undefined);
    if (!r || r.status !== 200) return undefined;
    try {
      return (JSON.parse(r.body.toString("utf8")) as { data?: { attributes?: RunnerStatus } }).data?.attributes;
    } catch {
      return undefined;
    }
  }

  async #stage(): Promise<{ stage: string; conditions: string }> {
    const r = await this.#api!.request("GET", `${collection("TestRun", this.#ns)}/${this.#plan!.name}`);
    if (r.status === 404) throw new HarnessError("WORKER_FAILED", { message: `the TestRun ${this.#ns}/${this.#plan!.name} is gone (deleted by someone else?)` });
    if (r.status !== 200) throw new HarnessError("TARGET_UNREACHABLE", { message: `reading the TestRun ${this.#plan!.name}: HTTP ${r.status}: ${statusMessage(r)}` });
    const status = (r.json as { status?: { stage?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } }).status;
    return { stage: status?.stage ?? "", conditions: (status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ""}`).join(", ") };
  }

  /** The runner pods: index, phase, and the k6 container's exit code once terminated. */
  async #pods(): Promise<RunnerPod[]> {
    const selector = encodeURIComponent(`app=k6,k6_cr=${this.#plan!.name},runner=true`);
    const r = await this.#api!.request("GET", `${collection("Pod", this.#ns)}?labelSelector=${selector}`);
    if (r.status !== 200) throw new HarnessError("TARGET_UNREACHABLE", { message: `listing the runner pods of ${this.#plan!.name}: HTTP ${r.status}: ${statusMessage(r)}` });
    type Pod = { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string; containerStatuses?: { state?: { terminated?: { exitCode: number; reason?: string } } }[] } };
    return ((r.json as { items?: Pod[] }).items ?? []).map((p) => {
      const terminated = p.status?.containerStatuses?.[0]?.state?.terminated;
      const job = p.metadata.labels?.["job-name"] ?? p.metadata.name;
      return { name: p.metadata.name, index: Number(/-(\d+)$/.exec(job)?.[1] ?? 0), phase: p.status?.phase ?? "Pending", ...(terminated ? { exitCode: terminated.exitCode, ...(terminated.reason ? { reason: terminated.reason } : {}) } : {}) };
    });
  }

  async prepare(ctx: Parameters<ExternalLoad["prepare"]>[0]): Promise<Record<string, unknown>> {
    this.#loaded = ctx.loaded;
    this.#dir = ctx.dir;
    this.#log = ctx.log;
    const api = (this.#api = await KubeHttp.connect(this.#o.kube));
    const swept = await sweepCluster(api, this.#ns);
    if (swept.length > 0) ctx.log(`k6-operator: deleted ${swept.length} object(s) left by a killed run of this machine: ${swept.join(", ")}`);
    ctx.log(`k6-operator: ${await checkCrd(api)}`);
    const keys: Record<string, string | undefined> = {};
    const envs = keyEnvs(ctx.loaded);
    keys[envs[0]!] = ctx.apiKey;
    ctx.loaded.scenario.traffic.tenants.forEach((t, i) => (keys[envs[i + 1]!] = ctx.tenantKeys[t.name]));
    const plan = (this.#plan = await planObjects(ctx.loaded, this.#o, { name: testRunName(basename(ctx.dir)), outDir: join(ctx.dir, "k6"), url: ctx.baseUrl, keys }));
    for (const obj of plan.objects) {
      ctx.signal.throwIfAborted();
      await create(api, obj, false);
      this.#created.push(obj);
    }
    ctx.log(`k6-operator: created ${plan.objects.map((obj) => `${obj.kind}/${obj.metadata.name}`).join(", ")} in ${this.#ns} on ${api.server}`);
    // The runners exist once the operator has initialized the test (k6 inspect) and made their jobs.
    const deadline = performance.now() + 10 * 60_000;
    let stage = "";
    while (!["created", "started", "stopped", "finished"].includes(stage)) {
      if (performance.now() > deadline) throw new HarnessError("WORKER_FAILED", { message: `the TestRun ${plan.name} did not reach stage "created" within 10 min (stage "${stage}")` });
      const now = await this.#stage();
      if (now.stage === "error") throw new HarnessError("WORKER_FAILED", { message: `k6-operator put the TestRun ${plan.name} in stage "error"${now.conditions ? `: ${now.conditions}` : ""}` });
      if (now.stage !== stage) ctx.log(`k6-operator: TestRun ${plan.name} stage "${now.stage || "(none yet)"}"`);
      stage = now.stage;
      if (!["created", "started", "stopped", "finished"].includes(stage)) await sleep(250, ctx.signal);
    }
    return { tool: "k6-operator", server: api.server, namespace: this.#ns, testRun: plan.name, runners: this.#o.runners, objects: plan.objects.map((obj) => `${obj.kind}/${obj.metadata.name}`), ...(swept.length > 0 ? { swept } : {}) };
  }

  /** Waits for the operator's starter to resume the runners; the first one seen running is the run's start. */
  async started(signal: AbortSignal): Promise<number> {
    const n = this.#o.runners;
    const every = Math.max(50, 10 * n);
    const deadline = performance.now() + 5 * 60_000;
    this.#seen = new Array<number | undefined>(n + 1).fill(undefined);
    let first: number | undefined;
    let lastCheck = 0;
    let polls = 0;
    while (performance.now() < deadline) {
      signal.throwIfAborted();
      const asked = performance.now();
      const states = await Promise.all(Array.from({ length: n }, (_, i) => this.#runnerStatus(i + 1)));
      polls++;
      states.forEach((s, i) => {
        if (s && s.paused === false && (s.status ?? 0) >= STARTED && this.#seen[i + 1] === undefined) this.#seen[i + 1] = asked;
      });
      const seen = this.#seen.filter((t): t is number => t !== undefined);
      if (seen.length > 0 && first === undefined) {
        first = Math.min(...seen);
        if (polls === 1) this.#log(`k6-operator: warning: a runner was already running when aire first asked; the timeline starts up to ${Math.round(performance.now() - asked)} ms late`);
      }
      if (first !== undefined && (seen.length === n || performance.now() - first > 10_000)) {
        const spread = Math.max(...seen) - first;
        this.#log(`k6-operator: ${seen.length} of ${n} runner(s) resumed by the operator's starter, seen within ${Math.round(spread)} ms of each other (polled every ${every} ms)`);
        return first;
      }
      if (asked - lastCheck > 1000) {
        lastCheck = asked;
        const { stage, conditions } = await this.#stage();
        if (stage === "error") throw new HarnessError("WORKER_FAILED", { message: `k6-operator put the TestRun ${this.#plan!.name} in stage "error"${conditions ? `: ${conditions}` : ""}` });
        const failed = (await this.#pods()).find((p) => p.phase === "Failed");
        if (failed) throw new HarnessError("WORKER_FAILED", { message: `runner pod ${failed.name} failed before the start (exit code ${failed.exitCode ?? "unknown"}${failed.reason ? `, ${failed.reason}` : ""})` });
      }
      await sleep(Math.max(0, every - (performance.now() - asked)), signal);
    }
    throw new HarnessError("WORKER_FAILED", { message: `the operator did not start the runners of ${this.#plan!.name} within 5 min` });
  }

  async run(o: Parameters<ExternalLoad["run"]>[0]): Promise<TrafficResult & { runners: { pod: string; index: number; requests: number; firstRequestMs: number | null; startSeenMs: number | null }[] }> {
    const n = this.#o.runners;
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      this.#log("k6-operator: stopping the runners (PATCH /v1/status stopped)");
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          this.#api!.request("PATCH", this.#runnerPath(i + 1, "/v1/status"), { data: { type: "status", id: "default", attributes: { stopped: true } } }, { timeoutMs: 5000 }).catch(() => undefined),
        ),
      );
    };
    const onAbort = () => void stop();
    o.signal.addEventListener("abort", onAbort, { once: true });
    if (o.signal.aborted) void stop();
    let pods: RunnerPod[] = [];
    try {
      let lastProgress = performance.now();
      let stoppedAt: number | undefined;
      for (;;) {
        const { stage, conditions } = await this.#stage();
        if (stage === "error") throw new HarnessError("WORKER_FAILED", { message: `k6-operator put the TestRun ${this.#plan!.name} in stage "error"${conditions ? `: ${conditions}` : ""}` });
        pods = await this.#pods();
        const failed = pods.find((p) => p.phase === "Failed" && !(p.exitCode !== undefined && (NORMAL_EXITS.has(p.exitCode) || (stopping && p.exitCode === STOPPED_VIA_REST))));
        if (failed) {
          const err = new HarnessError("WORKER_FAILED", { message: `k6 runner pod ${failed.name} (runner ${failed.index} of ${n}) failed: exit code ${failed.exitCode ?? "unknown"}${failed.reason ? ` (${failed.reason})` : ""}` });
          o.onFailure(err);
          await stop();
          throw err;
        }
        const over = pods.length >= n && pods.every((p) => p.phase === "Succeeded" || p.phase === "Failed");
        if (over || stage === "stopped" || stage === "finished") break;
        if (stopping) {
          stoppedAt ??= performance.now();
          if (performance.now() - stoppedAt > 30_000) {
            this.#log("k6-operator: the runners did not stop within 30 s of being told; deleting the TestRun");
            break;
          }
        }
        if (performance.now() - lastProgress > 10_000) {
          lastProgress = performance.now();
          const counts = await Promise.all(Array.from({ length: n }, (_, i) => this.#api!.request("GET", this.#runnerPath(i + 1, "/v1/metrics/http_reqs"), undefined, { timeoutMs: 5000 }).catch(() => undefined)));
          const total = counts.reduce((sum, r) => sum + (r?.status === 200 ? Number((JSON.parse(r.body.toString("utf8")) as { data?: { attributes?: { sample?: { count?: number } } } }).data?.attributes?.sample?.count ?? 0) : 0), 0);
          this.#log(`k6-operator: ${total} HTTP requests sent so far (the runners' REST API)`);
        }
        await sleep(1000);
      }
    } finally {
      o.signal.removeEventListener("abort", onAbort);
    }
    // The runners' files, from the results pod, then scored as `aire ingest k6` scores them.
    await this.#resultsPodReady();
    const toSample = k6Samples(this.#loaded!.scenario, performance.timeOrigin + o.start);
    const outDir = join(this.#dir, "k6");
    await mkdir(outDir, { recursive: true });
    let id = 0;
    let dropped = 0;
    const runners: { pod: string; index: number; requests: number; firstRequestMs: number | null; startSeenMs: number | null }[] = [];
    for (const pod of [...pods].sort((a, b) => a.index - b.index)) {
      const file = join(outDir, `${pod.name}.json.gz`);
      const r = await this.#api!.request("GET", `/api/v1/namespaces/${this.#ns}/pods/${this.#plan!.name}-results:8080/proxy/${pod.name}.json.gz`, undefined, { timeoutMs: 120_000 });
      if (r.status !== 200) throw new HarnessError("WORKER_FAILED", { message: `runner ${pod.name}'s results (/results/${pod.name}.json.gz on the results pod): HTTP ${r.status}: ${statusMessage(r)}` });
      await writeFile(file, r.body);
      const summary = await this.#api!.request("GET", `/api/v1/namespaces/${this.#ns}/pods/${this.#plan!.name}-results:8080/proxy/${pod.name}-summary.json`).catch(() => undefined);
      if (summary?.status === 200) await writeFile(join(outDir, `${pod.name}-summary.json`), summary.body);
      const read = await readK6File(file, pod.index);
      dropped += read.dropped;
      let first = Number.POSITIVE_INFINITY;
      for (const request of read.requests) {
        const sample = toSample(request, id++);
        first = Math.min(first, sample.scheduledAt);
        o.onSample(sample);
      }
      const seen = this.#seen[pod.index];
      runners.push({ pod: pod.name, index: pod.index, requests: read.requests.length, firstRequestMs: Number.isFinite(first) ? Math.round(first * 1000) / 1000 : null, startSeenMs: seen === undefined ? null : Math.round((seen - o.start) * 1000) / 1000 });
    }
    this.#log(`k6-operator: ${id} requests read from ${runners.length} runner file(s) into ${outDir}`);
    return { scheduled: id + dropped, completed: id, unanswered: 0, cancelled: 0, dropped, lagMeasured: false, maxScheduleLagMs: 0, scheduleLagMs: { p50: 0, p99: 0, max: 0 }, eventLoopLagMs: { p99: 0, max: 0 }, runners };
  }

  async #resultsPodReady(): Promise<void> {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const r = await this.#api!.request("GET", `${collection("Pod", this.#ns)}/${this.#plan!.name}-results`);
      const phase = r.status === 200 ? (r.json as { status?: { phase?: string } }).status?.phase : undefined;
      if (phase === "Running") return;
      if (performance.now() > deadline) throw new HarnessError("WORKER_FAILED", { message: `the results pod ${this.#plan!.name}-results is not running after 2 min (phase ${phase ?? `HTTP ${r.status}`}); the runners' files stay on the claim ${this.#plan!.name}-results` });
      await sleep(500);
    }
  }

  /** Deletes every object the run created, the TestRun first (its jobs and pods go with it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed || !this.#api) return;
    this.#closed = true;
    const failures: string[] = [];
    for (const obj of [...this.#created].reverse()) {
      try {
        await remove(this.#api, obj.kind, obj.metadata.namespace, obj.metadata.name);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    // Said, not thrown: the run's report is written whatever happens here.
    if (this.#created.length > 0) this.#log(`k6-operator: deleted ${this.#created.length - failures.length} of ${this.#created.length} object(s)${failures.length > 0 ? `; not deleted: ${failures.join("; ")} (the next run from this machine sweeps them)` : ""}`);
  }
}
