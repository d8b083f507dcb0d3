/**
 * A local double of a Kubernetes API server with k6-operator installed, just what
 * `aire run --load k6-operator` calls, on 127.0.0.1 — the only cluster aire's tests touch.
 *
 * - The API: create (`dryRun=All` checks and keeps nothing), get, list by equality label
 *   selectors, delete, for Secrets, PersistentVolumeClaims, ConfigMaps, Pods and k6.io/v1alpha1
 *   TestRuns; Bearer token auth; Status bodies as the API server sends them; the CRD
 *   `testruns.k6.io` (its schema's spec fields, optionally without `paused`, or absent).
 * - A TestRun is checked as the CRD's structural schema would check it (parallelism an integer
 *   ≥ 1, paused and arguments strings, a script ConfigMap that exists).
 * - The operator, following its controller (grafana/k6-operator, internal/controller): stages
 *   initialization → initialized → created (runner jobs `<name>-<i>`, i from 1, with services
 *   `<name>-service-<i>`) → started (once every runner pod runs and its REST API answers below
 *   400, a starter PATCHes each runner's `/v1/status` to resume it) → stopped → finished.
 * - A runner pod is a real local k6 process, started as the operator's runner job starts it
 *   (`k6 run --quiet --execution-segment … <arguments> /test/<file> --address … --paused --tag
 *   instance_id=<i> --tag testrun_name=<name>`), the ConfigMap's files for /test, the claim's
 *   directory for its mount, env from values, field refs and secret refs; the image names the
 *   binary (`images`). Its pod phase follows the process: Running, then Succeeded (exit 0) or
 *   Failed (with the exit code).
 * - The service proxy forwards to a runner's REST API; the pod proxy of a pod running busybox
 *   httpd serves the files of its claim.
 * - Deleting a TestRun stops its runner processes (SIGTERM, then SIGKILL after 2 s).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string; creationTimestamp?: string }; [k: string]: unknown };

export interface OperatorDoubleOptions {
  namespace: string;
  token: string;
  /** Runner image → local k6 binary. */
  images: Record<string, string>;
  /** An older operator: its CRD has no spec.paused. */
  withoutPaused?: boolean;
  /** k6-operator not installed: no CRD. */
  noCrd?: boolean;
}

export interface DoubleEvent {
  at: number;
  what: string;
}

const KINDS: Record<string, string> = { secrets: "Secret", persistentvolumeclaims: "PersistentVolumeClaim", configmaps: "ConfigMap", pods: "Pod", testruns: "TestRun" };

export async function startOperatorDouble(options: OperatorDoubleOptions) {
  const root = await mkdtemp(join(tmpdir(), "aire-k6-operator-double-"));
  const objects = new Map<string, Obj>();
  const calls: { method: string; path: string; query: Record<string, string>; body?: unknown }[] = [];
  const events: DoubleEvent[] = [];
  const note = (what: string) => events.push({ at: performance.now(), what });
  /** Runner processes by pod name. */
  const runners = new Map<string, { child: ChildProcess; port: number; exited?: number | null }>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const later = (ms: number, fn: () => void | Promise<void>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) void fn();
    }, ms);
    timers.add(t);
  };
  const key = (kind: string, name: string) => `${kind}/${name}`;

  const status = (res: ServerResponse, code: number, reason: string, message: string) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
  };
  const json = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const crd = () => {
    const spec: Record<string, unknown> = { parallelism: { type: "integer", format: "int32" }, script: { type: "object" }, arguments: { type: "string" }, runner: { type: "object" }, starter: { type: "object" }, initializer: { type: "object" }, separate: { type: "boolean" }, quiet: { type: "string" }, cleanup: { type: "string", enum: ["post"] } };
    if (!options.withoutPaused) spec.paused = { type: "string" };
    return { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "testruns.k6.io" }, spec: { group: "k6.io", names: { kind: "TestRun", plural: "testruns" }, scope: "Namespaced", versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", required: ["parallelism", "script"], properties: spec }, status: { type: "object" } } } } }] } };
  };

  /** The CRD's structural checks, as the API server would make them; a message, or undefined. */
  const invalidTestRun = (tr: Obj): string | undefined => {
    const spec = (tr.spec ?? {}) as Record<string, unknown>;
    const errors: string[] = [];
    if (!Number.isInteger(spec.parallelism) || (spec.parallelism as number) < 1) errors.push(`spec.parallelism: Invalid value: ${JSON.stringify(spec.parallelism)}: must be an integer ≥ 1`);
    for (const field of ["paused", "arguments", "quiet"]) if (spec[field] !== undefined && typeof spec[field] !== "string") errors.push(`spec.${field}: Invalid value: "${typeof spec[field]}": spec.${field} in body must be of type string: "${typeof spec[field]}"`);
    if (options.withoutPaused && spec.paused !== undefined) errors.push(`.spec.paused: field not declared in schema`);
    const cm = (spec.script as { configMap?: { name?: string } } | undefined)?.configMap?.name;
    if (!cm) errors.push("spec.script: Required value");
    return errors.length > 0 ? `TestRun.k6.io "${tr.metadata.name}" is invalid: ${errors.join(", ")}` : undefined;
  };

  const podStatus = (phase: string, exitCode?: number) => ({ phase, ...(exitCode !== undefined ? { containerStatuses: [{ name: "k6", state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error" } } }] } : {}) });
  const setStage = (tr: Obj, stage: string) => {
    tr.status = { ...(tr.status as object), stage };
    note(`stage ${stage}`);
  };
  const claimDir = (claim: string) => join(root, `claim-${claim}`);

  /** The operator's reconcile loop for one TestRun. */
  const operate = async (tr: Obj) => {
    const name = tr.metadata.name;
    const alive = () => objects.get(key("TestRun", name)) === tr;
    const spec = tr.spec as { parallelism: number; script: { configMap: { name: string; file?: string } }; arguments?: string; paused?: string; runner?: { image?: string; env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string; optional?: boolean } } }[]; volumeMounts?: { name: string; mountPath: string }[]; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] } };
    setStage(tr, "initialization");
    await new Promise((r) => setTimeout(r, 100));
    if (!alive()) return;
    const cm = objects.get(key("ConfigMap", spec.script.configMap.name));
    if (!cm) return setStage(tr, "error");
    setStage(tr, "initialized");
    const testDir = join(root, `test-${name}`);
    await mkdir(testDir, { recursive: true });
    for (const [file, text] of Object.entries((cm.data as Record<string, string>) ?? {})) await writeFile(join(testDir, file), text);
    const mounts = (spec.runner?.volumeMounts ?? []).map((m) => {
      const claim = spec.runner?.volumes?.find((v) => v.name === m.name)?.persistentVolumeClaim?.claimName;
      return { from: m.mountPath, to: claim ? claimDir(claim) : join(root, `empty-${m.name}`) };
    });
    const binary = options.images[spec.runner?.image ?? "grafana/k6:latest"];
    const n = spec.parallelism;
    const frac = (i: number) => (i === 0 ? "0" : i === n ? "1" : `${i}/${n}`);
    for (let i = 1; i <= n; i++) {
      const pod = `${name}-${i}-${randomBytes(3).toString("hex").slice(0, 5)}`;
      const mapPaths = (text: string) => mounts.reduce((t, m) => t.split(`${m.from}/`).join(`${m.to}/`), text.replaceAll("$(POD_NAME)", pod));
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, K6_NO_USAGE_REPORT: "true" };
      let configError: string | undefined;
      for (const e of spec.runner?.env ?? []) {
        if (e.value !== undefined) env[e.name] = mapPaths(e.value);
        else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[e.name] = pod;
        else if (e.valueFrom?.secretKeyRef) {
          const ref = e.valueFrom.secretKeyRef;
          const secret = objects.get(key("Secret", ref.name)) as { stringData?: Record<string, string>; data?: Record<string, string> } | undefined;
          const value = secret?.stringData?.[ref.key] ?? (secret?.data?.[ref.key] !== undefined ? Buffer.from(secret.data[ref.key]!, "base64").toString() : undefined);
          if (value !== undefined) env[e.name] = value;
          else if (!ref.optional) configError = `secret "${ref.name}" has no key "${ref.key}"`;
        }
      }
      const podObj: Obj = { apiVersion: "v1", kind: "Pod", metadata: { name: pod, namespace: options.namespace, labels: { app: "k6", k6_cr: name, runner: "true", "job-name": `${name}-${i}` } }, status: podStatus("Pending") };
      objects.set(key("Pod", pod), podObj);
      if (configError) {
        podObj.status = { phase: "Pending", containerStatuses: [{ name: "k6", state: { waiting: { reason: "CreateContainerConfigError", message: configError } } }] };
        continue;
      }
      if (!binary) {
        podObj.status = { phase: "Pending", containerStatuses: [{ name: "k6", state: { waiting: { reason: "ErrImagePull" } } }] };
        continue;
      }
      const port = await freePort();
      const args = ["run", "--quiet", ...(n > 1 ? [`--execution-segment=${frac(i - 1)}:${frac(i)}`, `--execution-segment-sequence=${Array.from({ length: n + 1 }, (_, k) => frac(k)).join(",")}`] : []), ...(spec.arguments ? mapPaths(spec.arguments).split(/\s+/).filter(Boolean) : []), join(testDir, spec.script.configMap.file ?? "test.js"), `--address=127.0.0.1:${port}`, ...(spec.paused === "false" ? [] : ["--paused"]), "--tag", `instance_id=${i}`, "--tag", `testrun_name=${name}`];
      const child = spawn(binary, args, { env, cwd: testDir, stdio: ["ignore", "ignore", "pipe"] });
      child.stderr!.resume();
      const runner: { child: ChildProcess; port: number; exited?: number | null } = { child, port };
      runners.set(pod, runner);
      note(`runner ${i} spawned (pid ${child.pid})`);
      podObj.status = podStatus("Running");
      child.on("exit", (code, signal) => {
        runner.exited = code ?? (signal ? 128 + 9 : null);
        podObj.status = podStatus(code === 0 ? "Succeeded" : "Failed", code ?? 137);
        note(`runner ${i} exited (${code ?? signal})`);
      });
    }
    setStage(tr, "created");
    // StartJobs: every runner pod Running and each service answering below 400, then the starter.
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (!alive() || closed) return;
      const pods = [...runners.entries()].filter(([pod]) => pod.startsWith(`${name}-`));
      if (pods.length < n) continue;
      const answers = await Promise.all(pods.map(([, r]) => fetch(`http://127.0.0.1:${r.port}/v1/status`).then((res) => res.status < 400, () => false)));
      if (answers.every(Boolean)) break;
    }
    note("starter created");
    await Promise.all(
      [...runners.entries()]
        .filter(([pod]) => pod.startsWith(`${name}-`))
        .map(([, r]) => fetch(`http://127.0.0.1:${r.port}/v1/status`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { type: "status", id: "default", attributes: { paused: false } } }) }).catch(() => undefined)),
    );
    note("starter resumed the runners");
    setStage(tr, "started");
    // FinishJobs: every runner pod done, then stopped, then finished.
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      if (!alive() || closed) return;
      const pods = [...runners.entries()].filter(([pod]) => pod.startsWith(`${name}-`));
      if (pods.every(([, r]) => r.exited !== undefined)) break;
    }
    setStage(tr, "stopped");
    setStage(tr, "finished");
  };

  const stopRunners = (name: string) => {
    for (const [pod, r] of runners) {
      if (!pod.startsWith(`${name}-`)) continue;
      if (r.exited === undefined) {
        r.child.kill("SIGTERM");
        const t = setTimeout(() => r.exited === undefined && r.child.kill("SIGKILL"), 2000);
        r.child.once("exit", () => clearTimeout(t));
      }
      objects.delete(key("Pod", pod));
    }
  };

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
    } catch {
      body = raw.toString("utf8");
    }
    calls.push({ method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams), ...(body !== undefined ? { body } : {}) });
    if (req.headers.authorization !== `Bearer ${options.token}`) return status(res, 401, "Unauthorized", "Unauthorized");
    if (url.pathname === "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/testruns.k6.io") {
      if (options.noCrd) return status(res, 404, "NotFound", `customresourcedefinitions.apiextensions.k8s.io "testruns.k6.io" not found`);
      return json(res, 200, crd());
    }
    const ns = options.namespace;
    const svc = new RegExp(`^/api/v1/namespaces/${ns}/services/([^/:]+):6565/proxy(/.*)$`).exec(url.pathname);
    if (svc) {
      const m = /^(.*)-service-(\d+)$/.exec(svc[1]!);
      const runner = m ? [...runners.entries()].find(([pod]) => pod.startsWith(`${m[1]}-${m[2]}-`) && objects.has(key("Pod", pod)))?.[1] : undefined;
      if (!runner || runner.exited !== undefined) return status(res, 503, "ServiceUnavailable", `no endpoints available for service "${svc[1]}"`);
      const answer = await fetch(`http://127.0.0.1:${runner.port}${svc[2]}${url.search}`, { method: req.method!, ...(raw.length ? { body: raw, headers: { "content-type": "application/json" } } : {}) }).catch(() => undefined);
      if (!answer) return status(res, 503, "ServiceUnavailable", `error trying to reach service: dial tcp 127.0.0.1:${runner.port}: connect: connection refused`);
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/octet-stream" });
      return res.end(Buffer.from(await answer.arrayBuffer()));
    }
    const podProxy = new RegExp(`^/api/v1/namespaces/${ns}/pods/([^/:]+):8080/proxy/(.+)$`).exec(url.pathname);
    if (podProxy) {
      const pod = objects.get(key("Pod", podProxy[1]!)) as (Obj & { spec?: { containers?: { command?: string[] }[]; volumes?: { persistentVolumeClaim?: { claimName: string } }[] }; status?: { phase?: string } }) | undefined;
      const httpd = pod?.spec?.containers?.[0]?.command?.includes("httpd");
      const claim = pod?.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName;
      if (!pod || !httpd || !claim || pod.status?.phase !== "Running") return status(res, 503, "ServiceUnavailable", `pod ${podProxy[1]} serves nothing on 8080`);
      const file = await readFile(join(claimDir(claim), podProxy[2]!.replace(/\.\.+/g, ""))).catch(() => undefined);
      if (!file) {
        res.writeHead(404, { "content-type": "text/html" });
        return res.end("<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD></HTML>");
      }
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return res.end(file);
    }
    const coll = new RegExp(`^/(?:api/v1|apis/k6.io/v1alpha1)/namespaces/([^/]+)/(secrets|persistentvolumeclaims|configmaps|pods|testruns)(?:/([^/]+))?$`).exec(url.pathname);
    if (!coll) return status(res, 404, "NotFound", `the double has no ${req.method} ${url.pathname}`);
    if (coll[1] !== ns) return status(res, 403, "Forbidden", `the token may not act in namespace "${coll[1]}"`);
    const kind = KINDS[coll[2]!]!;
    const name = coll[3];
    if (req.method === "POST" && !name) {
      const obj = body as Obj;
      if (!obj || obj.kind !== kind) return status(res, 400, "BadRequest", `the body is not a ${kind}`);
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata?.name ?? "") || obj.metadata.name.length > 63) return status(res, 422, "Invalid", `${kind} "${obj.metadata?.name}" is invalid: metadata.name: Invalid value`);
      if (objects.has(key(kind, obj.metadata.name))) return status(res, 409, "AlreadyExists", `${coll[2]} "${obj.metadata.name}" already exists`);
      if (kind === "TestRun") {
        const invalid = invalidTestRun(obj);
        if (invalid) return status(res, 422, "Invalid", invalid);
      }
      const stored: Obj = { ...obj, metadata: { ...obj.metadata, namespace: ns, uid: randomBytes(8).toString("hex"), creationTimestamp: new Date().toISOString() } };
      if (url.searchParams.get("dryRun") === "All") return json(res, 201, stored);
      objects.set(key(kind, obj.metadata.name), stored);
      note(`created ${kind}/${obj.metadata.name}`);
      if (kind === "PersistentVolumeClaim") await mkdir(claimDir(obj.metadata.name), { recursive: true });
      if (kind === "Pod") {
        stored.status = { phase: "Pending" };
        later(100, () => void (stored.status = { phase: "Running" }));
      }
      if (kind === "TestRun") {
        stored.status = {};
        later(50, () => operate(stored));
      }
      return json(res, 201, stored);
    }
    if (req.method === "GET" && !name) {
      const selector = (url.searchParams.get("labelSelector") ?? "").split(",").filter(Boolean).map((s) => s.split("="));
      const items = [...objects.values()].filter((o) => o.kind === kind && selector.every(([k, v]) => o.metadata.labels?.[k!] === v));
      return json(res, 200, { kind: `${kind}List`, apiVersion: kind === "TestRun" ? "k6.io/v1alpha1" : "v1", metadata: {}, items });
    }
    const obj = name ? objects.get(key(kind, name)) : undefined;
    if (!obj) return status(res, 404, "NotFound", `${coll[2]} "${name}" not found`);
    if (req.method === "GET") return json(res, 200, obj);
    if (req.method === "DELETE") {
      objects.delete(key(kind, name!));
      note(`deleted ${kind}/${name}`);
      if (kind === "TestRun") stopRunners(name!);
      return json(res, 200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name, kind: coll[2] } });
    }
    return status(res, 405, "MethodNotAllowed", `${req.method} is not handled here`);
  };
  const server = createServer((req, res) => void handle(req, res).catch((err: Error) => status(res, 500, "InternalError", err.message)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    events,
    objects,
    /** The PIDs of every runner process started. */
    runnerPids: () => [...runners.values()].map((r) => r.child.pid!),
    /** Objects of a kind (TestRun, Pod, …) now stored. */
    names: (kind: string) => [...objects.values()].filter((o) => o.kind === kind).map((o) => o.metadata.name),
    async writeKubeconfig(path: string) {
      await writeFile(
        path,
        JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [{ name: "double", cluster: { server: url, "insecure-skip-tls-verify": true } }], users: [{ name: "admin", user: { token: options.token } }], contexts: [{ name: "admin", context: { cluster: "double", user: "admin", namespace: options.namespace } }], "current-context": "admin" }),
        { mode: 0o600 },
      );
    },
    async [Symbol.asyncDispose]() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const r of runners.values()) if (r.exited === undefined) r.child.kill("SIGKILL");
      await Promise.all([...runners.values()].filter((r) => r.exited === undefined).map((r) => new Promise((resolve) => r.child.once("exit", resolve))));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
