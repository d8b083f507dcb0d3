/**
 * `aire export k6 <scenario> --out DIR`: the scenario's traffic as a k6 script, to send more load
 * than one process can (k6 alone, or k6-operator on Kubernetes), then scored by `aire ingest k6`.
 *
 * DIR gets:
 * - `script.js`: options (one k6 scenario per traffic source: `traffic.arrival`, and each tenant
 *   with an arrival of its own), thresholds from the hypotheses k6 can express, and the runtime
 *   (harness/commands/k6/runtime.k6.js) that sends each logical request with the client's retries and records
 *   what aire measures as `aire_*` metrics, tagged `phase`/`workload`/`tenant`, each point carrying
 *   the request's id in the VU metadata `rid`. Type-checked against @types/k6 in the test suite.
 * - `aire-answer.js`: how an answer is read (harness/commands/k6/answer.k6.js), imported by the script.
 * - `requests.json`: request bodies drawn ahead of time from the scenario's seed, as `aire run`
 *   draws them, read once per runner into a `SharedArray`. Iteration n of a source sends entry
 *   n mod size (k6's `iterationInTest` is unique across execution segments).
 * - `testrun.yaml`: a ConfigMap of both files and a k6-operator `TestRun` (k6.io/v1alpha1) with a
 *   pinned runner image, each runner writing `--out json` to a shared volume for `aire ingest k6`.
 * - `fetch-results.yaml`: a pod that mounts that volume, to `kubectl cp` the runners' files out.
 * - `xk6-sse.d.ts` (with `--sse`): the types of `k6/x/sse`, which @types/k6 does not have.
 *
 * Faults are not part of the script: k6 only sends. A hypothesis k6 cannot judge (relative to the
 * baseline, during the faults, cost, retry amplification, …) is listed, not approximated.
 * @module
 */
import { readFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { faker } from "@faker-js/faker/locale/en";
import { HarnessError } from "../../base/errors.js";
import { packageRoot } from "../../base/package-root.js";
import type { LoadedScenario } from "../../scenario/load.js";
import type { Scenario } from "../../scenario/schema.js";
import { hostAllowed } from "../../scenario/schema.js";
import { isLoopbackHost } from "../../base/net/http-server.js";
import { arrivalModel, expectedArrivals, type ArrivalSpec } from "../../traffic/arrival.js";
import { drawTokens } from "../../traffic/distribution.js";
import { PromptBook } from "../../traffic/prompts.js";
import { QualityPlanner } from "../../traffic/quality.js";
import { AGENT_TOOLS, ragMessages } from "../../traffic/session.js";
import { hashString, seededRandom, type Random } from "../../base/random/prng.js";
import type { Assertion, Measure, Stat } from "../../slo/expression.js";

/** The runner image the TestRun pins: the k6 release ../shared/reference/k6.md was observed on. */
export const DEFAULT_K6_IMAGE = "grafana/k6:0.48.0";
/** A ConfigMap holds at most 1 MiB; the bodies are cut to leave room for the script. */
const CONFIGMAP_LIMIT = 1_048_576;
/** kubectl apply's last-applied-configuration annotation: at most 262,144 bytes, less room for the rest of the annotations. */
const APPLY_LIMIT = 262_144 - 4_096;

export interface ExportOptions {
  outDir: string;
  /** The target's base URL (…/v1); default the scenario's `target.url`. The script's AIRE_TARGET_URL overrides it. */
  url?: string;
  /** Read streams through xk6-sse, so TTFT, TPOT and inter-token gaps are measured (needs an xk6 build of k6). */
  sse: boolean;
  /** The k6-operator runner image (required with --sse: an xk6 build with xk6-sse). */
  image?: string;
  parallelism: number;
  namespace: string;
  /** At most this many distinct bodies per traffic source. */
  bodies: number;
  /** Bytes the request file may take (default: what fits a ConfigMap beside the script). */
  bodyBytes?: number;
  /** Caps each arrival-rate source's VUs. */
  maxVus: number;
  /** The objects' name (default `aire-<scenario>`). */
  name?: string;
  /** The secret the TestRun takes the keys from (default `aire-keys`). */
  keysSecret?: string;
  /** More labels on every object (`aire run --load k6-operator`: the run that made them). */
  labels?: Record<string, string>;
}

export interface ExportedThreshold {
  hypothesis: string;
  assertion: string;
  metric: string;
  expression: string;
}

export interface Unexpressed {
  hypothesis: string;
  assertion: string;
  why: string;
}

export interface ExportResult {
  dir: string;
  files: string[];
  thresholds: ExportedThreshold[];
  unexpressed: Unexpressed[];
  /** Where k6 differs from `aire run` for this scenario. */
  notes: string[];
  /** k6 scenario name → its options. */
  scenarios: Record<string, Record<string, unknown>>;
  /** Bodies per source. */
  bodies: Record<string, number>;
  /** The ConfigMap as kubectl apply stores it (JSON), bytes. */
  configMapBytes: number;
  /** The key variables the TestRun takes from the secret aire-keys. */
  keys: { env: string; optional: boolean }[];
  /** The objects written to testrun.yaml and fetch-results.yaml, as the API takes them. */
  manifests: { claim: KubeObject; configMap: KubeObject; testRun: KubeObject; fetchPod: KubeObject };
}

/** A Kubernetes object as its API takes it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

type Traffic = Scenario["traffic"];
type Workload = Traffic["mix"][number];

/** A source of requests: the shared arrival, or a tenant's own. */
interface Source {
  name: string;
  arrival: Traffic["arrival"];
  random: Random;
  /** Tenants it picks from (indices into traffic.tenants), by weight; none = anonymous. */
  tenants: number[];
  /** Workloads it sends (indices into the mix) and their weights. */
  mix: { index: number; weight: number }[];
}

function sourcesOf(scenario: Scenario): Source[] {
  const { traffic, seed } = scenario;
  const mixOf = (names?: readonly string[]) => {
    const picked = traffic.mix.flatMap((w, index) => (names === undefined || names.includes(w.name) ? [{ index, weight: w.weight }] : []));
    return picked.every((p) => p.weight === 0) ? picked.map((p) => ({ ...p, weight: 1 })) : picked.filter((p) => p.weight > 0);
  };
  const shared = traffic.tenants.flatMap((t, i) => (t.arrival ? [] : [i]));
  const sources: Source[] = [{ name: "traffic", arrival: traffic.arrival, random: seededRandom(seed), tenants: shared, mix: mixOf() }];
  traffic.tenants.forEach((t, i) => {
    if (t.arrival) sources.push({ name: `tenant_${t.name}`, arrival: t.arrival, random: seededRandom(hashString(`tenant:${t.name}`, seed)), tenants: [i], mix: mixOf(t.mix) });
  });
  return sources;
}

// ---------------------------------------------------------------------------------------------
// Arrivals → executors

/** k6 durations: whole seconds as "30s", else milliseconds. */
export function k6Duration(ms: number): string {
  const rounded = Math.round(ms);
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}

/** k6 takes whole iterations per `timeUnit`: the shortest unit in which every rate is whole (else 1000 s, rounded). */
export function rateUnit(perSecond: readonly number[]): { timeUnit: string; seconds: number; exact: boolean } {
  for (const seconds of [1, 10, 60, 100, 1000, 3600]) {
    if (perSecond.every((r) => Math.abs(r * seconds - Math.round(r * seconds)) < 1e-6)) return { timeUnit: k6Duration(seconds * 1000), seconds, exact: true };
  }
  return { timeUnit: "1000s", seconds: 1000, exact: false };
}

/** The k6 scenario for one source over the run (`totalMs`), and what differs from aire's own dispatcher. */
export function executorFor(arrival: Traffic["arrival"], totalMs: number, timing: { gracefulStopMs: number; iterationMs: number; maxVus: number }): { options: Record<string, unknown>; notes: string[] } {
  const notes: string[] = [];
  const base = { startTime: "0s", gracefulStop: k6Duration(timing.gracefulStopMs) };
  if (arrival.type === "closed") {
    return { options: { executor: "constant-vus", vus: arrival.vus, duration: k6Duration(totalMs), ...base }, notes };
  }
  const spec = arrival as ArrivalSpec;
  const process = spec.type === "poisson" ? "poisson" : spec.type === "gamma" ? `gamma (cv ${spec.cv})` : "process" in spec && spec.process === "poisson" ? "poisson" : undefined;
  if (process) notes.push(`${process} arrivals: k6's arrival-rate executors space iterations evenly, so the mean rate is kept and the bursts are not`);
  const { segments } = arrivalModel(spec, totalMs);
  const peak = Math.max(...segments.flatMap((s) => [s.r0, s.r1]));
  const vus = (seconds: number) => Math.max(1, Math.min(timing.maxVus, Math.ceil(peak * seconds)));
  // Little's law: VUs busy = rate × time per iteration. Each VU is a JS runtime of its own (MBs), so
  // k6 starts with enough for 2-second iterations and adds more, up to the worst case, when they run out.
  const pool = { preAllocatedVUs: vus(Math.min(timing.iterationMs, 2_000) / 1000), maxVUs: vus(timing.iterationMs / 1000) };
  if (pool.maxVUs === timing.maxVus) notes.push(`VUs capped at ${timing.maxVus} (--max-vus): at ${peak}/s an iteration may take up to ${k6Duration(timing.iterationMs)}; iterations without a free VU are dropped (k6's dropped_iterations, which aire ingest counts)`);
  const flat = segments.length === 1 && segments[0]!.r0 === segments[0]!.r1;
  const unit = rateUnit(segments.flatMap((s) => [s.r0, s.r1]));
  if (!unit.exact) notes.push(`rates rounded to whole iterations per 1000 s (k6 takes integer rates)`);
  const scaled = (r: number) => Math.round(r * unit.seconds);
  if (flat) {
    return { options: { executor: "constant-arrival-rate", rate: scaled(segments[0]!.r0), timeUnit: unit.timeUnit, duration: k6Duration(totalMs), ...pool, ...base }, notes };
  }
  // k6 ramps linearly from one stage's target to the next: a jump is a stage of 0 s.
  const stages: { target: number; duration: string }[] = [];
  let current = segments[0]!.r0;
  for (const s of segments) {
    if (s.r0 !== current) stages.push({ target: scaled(s.r0), duration: "0s" });
    stages.push({ target: scaled(s.r1), duration: k6Duration(s.end - s.start) });
    current = s.r1;
  }
  return { options: { executor: "ramping-arrival-rate", startRate: scaled(segments[0]!.r0), timeUnit: unit.timeUnit, stages, ...pool, ...base }, notes };
}

// ---------------------------------------------------------------------------------------------
// Hypotheses → thresholds

const statExpr: Record<Stat, string> = { p50: "med", p75: "p(75)", p90: "p(90)", p95: "p(95)", p99: "p(99)", p999: "p(99.9)", mean: "avg", min: "min", max: "max" };
const flipped = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==" } as const;
const round = (v: number) => Number(v.toFixed(10));

interface ThresholdPlan {
  thresholds: Record<string, string[]>;
  exported: ExportedThreshold[];
  unexpressed: Unexpressed[];
  errorClasses: string[];
  goodput: { metric: string; op: "<" | "<="; ms: number }[][];
}

/**
 * The hypotheses as k6 thresholds on the script's `aire_*` metrics. k6 judges a threshold on all
 * samples of a (sub)metric, so a window must be a tag: a phase, or the whole run.
 */
export function thresholdsFor(scenario: Scenario, sse: boolean): ThresholdPlan {
  const plan: ThresholdPlan = { thresholds: {}, exported: [], unexpressed: [], errorClasses: [], goodput: [] };
  const streamed = (workload?: string) => scenario.traffic.mix.some((w) => (workload === undefined || w.name === workload) && w.stream);
  const add = (hypothesis: string, a: Assertion, metric: string, expression: string) => {
    (plan.thresholds[metric] ??= []).includes(expression) || plan.thresholds[metric]!.push(expression);
    plan.exported.push({ hypothesis, assertion: a.text, metric, expression });
  };
  for (const h of scenario.hypotheses) {
    for (const a of h.expect) {
      const skip = (why: string) => plan.unexpressed.push({ hypothesis: h.name, assertion: a.text, why });
      if (h.window.kind === "fault" || h.window.kind === "after") {
        skip(`scored on the fault timeline (${h.during}): k6 injects no faults, so only aire run has that window`);
        continue;
      }
      if (a.kind !== "measure") {
        skip(`${a.kind} is a time series judgement k6 thresholds cannot make`);
        continue;
      }
      if (a.threshold.kind === "baseline") {
        skip("relative to the baseline window: k6 thresholds take fixed values");
        continue;
      }
      const m: Measure = a.measure;
      const scope = m.scope ?? {};
      const tags = [...(h.window.kind === "phase" ? [`phase:${h.window.phase}`] : []), ...(scope.workload ? [`workload:${scope.workload}`] : []), ...(scope.tenant ? [`tenant:${scope.tenant}`] : []), ...(scope.provider ? [`provider:${scope.provider}`] : [])];
      const on = (name: string) => (tags.length > 0 ? `${name}{${tags.join(",")}}` : name);
      const value = a.threshold.value;
      switch (m.kind) {
        case "latency": {
          const needsStream = m.metric === "tpot" || m.metric === "itl" || m.metric === "max_stall";
          if (needsStream && !streamed(scope.workload)) {
            skip(`${m.metric} is measured between streamed tokens, and these requests are not streamed`);
            continue;
          }
          if (!sse && streamed(scope.workload) && (needsStream || m.metric === "ttft")) {
            skip(`stock k6 reads a stream whole, so it cannot see ${m.metric === "ttft" ? "the first token" : "the gaps between tokens"}: export with --sse (xk6-sse)`);
            continue;
          }
          add(h.name, a, on(`aire_${m.metric}`), `${statExpr[m.stat]}${a.op}${round(value)}`);
          break;
        }
        case "ratio":
          if (m.metric === "availability") add(h.name, a, on("aire_ok"), `rate${a.op}${round(value)}`);
          else if (m.errorClass === undefined) add(h.name, a, on("aire_ok"), `rate${flipped[a.op]}${round(1 - value)}`);
          else {
            if (!plan.errorClasses.includes(m.errorClass)) plan.errorClasses.push(m.errorClass);
            add(h.name, a, on(`aire_error_${m.errorClass}`), `rate${a.op}${round(value)}`);
          }
          break;
        case "goodput": {
          const blind = m.conditions.find((c) => (c.metric === "tpot" || c.metric === "max_stall" || c.metric === "ttft") && streamed(scope.workload) && !sse);
          if (blind) {
            skip(`goodput names ${blind.metric}, which stock k6 cannot see in a stream: export with --sse`);
            continue;
          }
          const conditions = m.conditions.map((c) => ({ metric: c.metric, op: c.op, ms: c.ms }));
          let i = plan.goodput.findIndex((g) => JSON.stringify(g) === JSON.stringify(conditions));
          if (i < 0) i = plan.goodput.push(conditions) - 1;
          add(h.name, a, on(`aire_goodput_${i}`), `rate${a.op}${round(value)}`);
          break;
        }
        case "throughput":
          skip("k6's rate of a counter divides by the whole test (graceful stop included), not by the window");
          break;
        case "cost":
          skip("k6 thresholds cannot price tokens: aire ingest k6 scores it from the prompt and output tokens and the model the script records");
          break;
        case "retry_amplification":
          skip("a ratio of two counters, which k6 thresholds cannot express: aire ingest k6 scores it from the gateway's x-aire-attempts the script records");
          break;
        case "burn_rate":
          skip("a burn rate is judged over sliding windows");
          break;
      }
    }
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Request bodies

interface Turn {
  user: string;
  maxTokens: number;
  tool: boolean;
  toolResult: string;
  nonce: string | null;
}
interface Entry {
  w: number;
  t: number;
  b?: string;
  n?: string | null;
  s?: Turn[];
}

const nonceOf = (suffix: string) => /reply with exactly: (\S+)$/.exec(suffix)?.[1] ?? null;

function pick<T extends { weight: number }>(items: readonly T[], random: Random): T {
  let at = random() * items.reduce((sum, i) => sum + i.weight, 0);
  return items.find((i) => (at -= i.weight) < 0) ?? items.at(-1)!;
}

/** `count` entries of one source, drawn as `aire run` draws its requests (workload, tenant, sizes, canaries). */
function drawEntries(scenario: Scenario, source: Source, count: number, books: PromptBook[], quality: QualityPlanner[]): Entry[] {
  const { traffic } = scenario;
  const random = source.random;
  const tenants = source.tenants.map((i) => ({ index: i, weight: traffic.tenants[i]!.weight }));
  const entries: Entry[] = [];
  for (let n = 0; n < count; n++) {
    const { index } = pick(source.mix, random);
    const workload: Workload = traffic.mix[index]!;
    const tenant = tenants.length === 0 ? -1 : tenants.length === 1 ? tenants[0]!.index : pick(tenants, random).index;
    const book = books[index]!;
    if (workload.kind === "agent") {
      const spec = workload.session ?? { turns: [2, 4] as [number, number], thinkTime: 1000, toolCalls: 0.5 };
      const turns = Array.isArray(spec.turns) ? spec.turns[0] + Math.floor(random() * (spec.turns[1] - spec.turns[0] + 1)) : spec.turns;
      const s: Turn[] = [];
      for (let k = 0; k < turns; k++) {
        const check = quality[index]!.plan(random);
        faker.seed(Math.floor(random() * 2 ** 31));
        s.push({ user: book.prompt(drawTokens(workload.promptTokens, random), random) + check.suffix, maxTokens: drawTokens(workload.maxTokens, random), tool: random() < spec.toolCalls, toolResult: JSON.stringify({ ok: true, result: faker.lorem.sentence() }), nonce: nonceOf(check.suffix) });
      }
      entries.push({ w: index, t: tenant, s });
      continue;
    }
    const promptTokens = drawTokens(workload.promptTokens, random);
    const maxTokens = drawTokens(workload.maxTokens, random);
    const check = quality[index]!.plan(random);
    const extra = { ...(workload.stream ? { stream_options: { include_usage: true } } : {}), ...(check.responseFormat ? { response_format: check.responseFormat } : {}) };
    let body: string;
    if (workload.kind === "rag") {
      const messages = ragMessages(book, promptTokens, random);
      messages[1]!.content += check.suffix;
      body = JSON.stringify({ model: traffic.model, messages, max_tokens: maxTokens, stream: workload.stream, ...extra });
    } else {
      body = JSON.stringify({ model: traffic.model, messages: [{ role: "user", content: book.prompt(promptTokens, random) + check.suffix }], max_tokens: maxTokens, stream: workload.stream, ...extra });
    }
    entries.push({ w: index, t: tenant, b: body, n: nonceOf(check.suffix) });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// The script

const runtimeFile = join(packageRoot(), "harness", "commands", "k6", "runtime.k6.js");
/** Reading an answer (no k6 module in it): written beside the script as aire-answer.js, and tested on Node. */
const answerFile = join(packageRoot(), "harness", "commands", "k6", "answer.k6.js");

const SSE_IMPORT = `import sse from "k6/x/sse";`;
const SSE_ATTEMPT = `/**
 * One attempt through xk6-sse: each event is read as it arrives, so the first token and the gaps
 * between tokens are measured (to the millisecond: Date.now()). It holds its VU for the whole stream.
 * @param {string} body @param {Record<string, string>} headers @param {Record<string, string>} tags
 * @returns {Outcome}
 */
function attemptSseStream(body, headers, tags) {
  const started = Date.now();
  const s = newStreamState();
  let first = -1;
  let last = -1;
  /** @type {number[]} */
  const gaps = [];
  let done = false;
  let transport = "";
  const res = sse.open(ENDPOINT, { method: "POST", body: body, headers: headers, tags: tags }, function (client) {
    client.on("event", function (event) {
      if (event.data === "[DONE]") {
        done = true;
        client.close();
        return;
      }
      const now = Date.now();
      if (readChunk(event.data, s)) {
        if (first < 0) first = now - started;
        else gaps.push(now - last);
        last = now;
      }
      if (s.error !== null) client.close();
    });
    client.on("error", function (e) {
      transport = e.error();
      client.close();
    });
  });
  const status = res && typeof res.status === "number" ? res.status : 0;
  /** @type {Outcome} */
  const out = { status: status, error: null, detail: transport, ttfbMs: first >= 0 ? first : Date.now() - started, ttftMs: first >= 0 ? first : null, gaps: gaps, tokens: 0, content: "", toolCall: null, provider: header(res.headers, "x-aire-provider") || "", model: "", promptTokens: null, upstreamAttempts: attemptsOf(res.headers), retryAfterMs: null, shouldRetry: null };
  const should = header(res.headers, "x-should-retry");
  if (should === "true" || should === "false") out.shouldRetry = should === "true";
  if (status === 0) {
    out.error = /timeout|deadline/i.test(transport) ? "timeout" : "connect";
    return out;
  }
  if (status < 200 || status >= 300) {
    out.error = classOf(status);
    out.retryAfterMs = retryAfter(res.headers);
    return out;
  }
  if (transport !== "" && !done) s.error = s.error || "reset";
  return finishStream(out, s, done);
}
/** @type {null | ((body: string, headers: Record<string, string>, tags: Record<string, string>) => Outcome)} */
const attemptSse = attemptSseStream;`;
const NO_SSE = `/** Streams are read whole through k6/http (export with --sse for xk6-sse). @type {null | ((body: string, headers: Record<string, string>, tags: Record<string, string>) => Outcome)} */
const attemptSse = null;`;

/** The types of xk6-sse's \`k6/x/sse\` (https://github.com/phymbert/xk6-sse), for type-checking the script. */
export const XK6_SSE_TYPES = `// The JavaScript API of the xk6-sse extension (k6/x/sse), as its README and examples use it.
declare module "k6/x/sse" {
  export interface SseParams {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    tags?: Record<string, string>;
  }
  export interface SseEvent {
    id: string;
    name: string;
    data: string;
  }
  export interface SseError {
    error(): string;
  }
  export interface SseClient {
    on(event: "open", handler: () => void): void;
    on(event: "event", handler: (event: SseEvent) => void): void;
    on(event: "error", handler: (error: SseError) => void): void;
    close(): void;
  }
  export interface SseResponse {
    status: number;
    headers: Record<string, string>;
    error?: string;
  }
  export function open(url: string, params: SseParams | null, handler: (client: SseClient) => void): SseResponse;
  const sse: { open: typeof open };
  export default sse;
}
`;

/** Writes the script, its data and the k6-operator manifests (see the module comment). */
export async function exportK6(loaded: LoadedScenario, options: ExportOptions): Promise<ExportResult> {
  const { scenario } = loaded;
  const { traffic } = scenario;
  const url = options.url ?? scenario.target.url ?? null;
  if (url !== null) checkUrl(url, loaded);
  if (options.sse && options.image === undefined) throw new HarnessError("USAGE", { message: `--sse needs --image: a k6 built with xk6-sse (xk6 build --with github.com/phymbert/xk6-sse), for the k6-operator runners; stock ${DEFAULT_K6_IMAGE} cannot load k6/x/sse` });
  const totalMs = scenario.phases.reduce((sum, p) => sum + p.duration, 0);
  const notes = differences(scenario, options.sse);

  // Bodies: as many as the run would send, up to --bodies per source, then cut to the byte budget.
  const sources = sourcesOf(scenario);
  const books = await Promise.all(traffic.mix.map((_, i) => PromptBook.create(scenario.seed * 31 + i)));
  const quality = traffic.mix.map((w) => new QualityPlanner(w.quality));
  const data: Record<string, Entry[]> = {};
  for (const source of sources) {
    const expected = source.arrival.type === "closed" ? options.bodies : Math.ceil(expectedArrivals(arrivalModel(source.arrival as ArrivalSpec, totalMs).segments, 0, totalMs)) + 1;
    data[source.name] = drawEntries(scenario, source, Math.max(1, Math.min(options.bodies, expected)), books, quality);
  }
  const bodyCount = Object.values(data).reduce((n, d) => n + d.length, 0);
  const [runtime, answerJs] = await Promise.all([readFile(runtimeFile, "utf8"), readFile(answerFile, "utf8")]);
  const budget = options.bodyBytes ?? CONFIGMAP_LIMIT - runtime.length - answerJs.length - 64 * 1024;
  let requestsJson = JSON.stringify(data);
  if (requestsJson.length > budget) {
    const share = budget / requestsJson.length;
    for (const name of Object.keys(data)) data[name] = data[name]!.slice(0, Math.max(1, Math.floor(data[name]!.length * share * 0.98)));
    requestsJson = JSON.stringify(data);
    notes.push(`request bodies cut to ${Object.values(data).map((d) => d.length).join(" + ")} to fit ${Math.round(budget / 1024)} KiB (a ConfigMap holds 1 MiB); iterations reuse them in turn`);
  }

  // Executors: every source spans the whole run; each request's phase tag comes from its start time.
  const timeoutMs = traffic.client.timeout;
  const { scenarios, thinkTimeMs } = executors(scenario, sources, totalMs, options.maxVus, notes);
  const plan = thresholdsFor(scenario, options.sse);
  let phaseEnd = 0;
  const config = {
    scenario: scenario.name,
    url,
    model: traffic.model,
    phases: scenario.phases.map((p) => ({ name: p.name, end: (phaseEnd += p.duration) })),
    workloads: traffic.mix.map((w) => ({ name: w.name, stream: w.stream, minTokens: w.quality?.outputTokens?.min ?? null, maxTokens: w.quality?.outputTokens?.max ?? null, json: w.quality?.jsonSchema !== undefined, thinkTimeMs: w.session?.thinkTime ?? 1000 })),
    tenants: traffic.tenants.map((t) => ({ name: t.name, keyEnv: t.apiKeyEnv ?? `AIRE_KEY_${t.name.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}` })),
    keyEnv: scenario.target.apiKeyEnv ?? "AIRE_API_KEY",
    keyRequired: scenario.target.apiKeyEnv !== undefined,
    errorClasses: plan.errorClasses,
    goodput: plan.goodput,
    timeoutMs,
    retries: traffic.client.retries,
    systemPrompt: "You are a support agent. Use the tools when they help.",
    tools: AGENT_TOOLS,
    data: "./requests.json",
    thinkTimeMs,
    options: {
      scenarios,
      thresholds: plan.thresholds,
      summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "p(99.9)", "count"],
      userAgent: "aire-k6-export",
    },
  };
  const sha = createHash("sha256").update(loaded.source).digest("hex");
  const header = [
    `// Generated by \`aire export k6 ${loaded.file}\` (sha256 ${sha.slice(0, 12)}, seed ${scenario.seed}${options.sse ? ", --sse" : ""}). Re-export rather than edit.`,
    `// Run:    k6 run --out json=k6-results.json${url === null ? " -e AIRE_TARGET_URL=http://host:port/v1" : ""} script.js`,
    `// Score:  aire ingest k6 k6-results.json --scenario ${loaded.file}`,
    `// Keys:   ${[...(config.keyRequired ? [config.keyEnv] : [`${config.keyEnv} (optional)`]), ...config.tenants.map((t) => t.keyEnv)].join(", ")}, read from the environment (-e NAME=…), never written here.`,
  ].join("\n");
  const script = runtime
    .replace("/*AIRE:HEADER*/", header)
    .replace("/*AIRE:SSE_IMPORT*/", options.sse ? SSE_IMPORT : "")
    .replace("/*AIRE:SSE_ATTEMPT*/", options.sse ? SSE_ATTEMPT : NO_SSE)
    .replace("/*AIRE:CONFIG*/", `/** @type {Config} */\nconst CONFIG = ${JSON.stringify(config, null, 2)};`);

  const name = options.name ?? `aire-${scenario.name}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 50);
  const labels = { "app.kubernetes.io/managed-by": "aire", ...options.labels };
  // Every key the script reads comes from the secret; the one it can do without is optional there.
  const keyEnvs = [{ env: config.keyEnv, optional: !config.keyRequired }, ...config.tenants.map((t) => ({ env: t.keyEnv, optional: false }))];
  const configMapOf = (requests: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: options.namespace, labels }, data: { "script.js": script, "aire-answer.js": answerJs, "requests.json": requests } });
  // kubectl apply keeps the whole object, as JSON, in its last-applied annotation, which holds at
  // most 256 KiB: cut the bodies until the ConfigMap fits it.
  let configMap = configMapOf(requestsJson);
  for (let i = 0; i < 5 && Buffer.byteLength(JSON.stringify(configMap)) > APPLY_LIMIT; i++) {
    const fixed = Buffer.byteLength(JSON.stringify(configMapOf("")));
    const share = (APPLY_LIMIT - fixed) / Buffer.byteLength(JSON.stringify(requestsJson));
    if (share <= 0) break;
    for (const source of Object.keys(data)) data[source] = data[source]!.slice(0, Math.max(1, Math.floor(data[source]!.length * Math.min(1, share) * 0.97)));
    requestsJson = JSON.stringify(data);
    configMap = configMapOf(requestsJson);
  }
  const applyBytes = Buffer.byteLength(JSON.stringify(configMap));
  if (applyBytes > APPLY_LIMIT) notes.push(`the ConfigMap takes ${applyBytes} bytes even with one body per source, over the 256 KiB kubectl apply keeps: use kubectl apply --server-side or kubectl create`);
  else if (Object.values(data).reduce((n, d) => n + d.length, 0) < bodyCount) notes.push(`request bodies cut to ${Object.values(data).map((d) => d.length).join(" + ")} so that the ConfigMap (${Math.round(applyBytes / 1024)} KiB) fits the 256 KiB kubectl apply keeps in its annotation; iterations reuse them in turn`);
  const { testRun, claim, fetchPod } = manifests(name, options, url, keyEnvs, labels);
  if (url === null) notes.push("no target URL (the scenario has none and --url was not given): pass -e AIRE_TARGET_URL=… to k6, and set AIRE_TARGET_URL in testrun.yaml (it says http://CHANGE-ME:8080/v1)");
  const configMapBytes = applyBytes;

  await mkdir(options.outDir, { recursive: true });
  const files: [string, string][] = [
    ["script.js", script],
    ["aire-answer.js", answerJs],
    ["requests.json", requestsJson],
    ["testrun.yaml", [claim, configMap, testRun].map((d) => stringify(d, { lineWidth: 0, blockQuote: "literal" })).join("---\n")],
    ["fetch-results.yaml", stringify(fetchPod)],
    ...(options.sse ? ([["xk6-sse.d.ts", XK6_SSE_TYPES]] as [string, string][]) : []),
  ];
  for (const [file, text] of files) await writeFile(join(options.outDir, file), text);
  return {
    dir: options.outDir,
    files: files.map(([f]) => f),
    thresholds: plan.exported,
    unexpressed: plan.unexpressed,
    notes,
    scenarios,
    bodies: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.length])),
    configMapBytes,
    keys: keyEnvs,
    manifests: { claim, configMap, testRun, fetchPod },
  };
}

/** What `aire export k6` prints. */
export function renderExport(result: ExportResult, scenarioFile: string, name: string): string {
  const lines = [`k6 export of ${scenarioFile} → ${result.dir} (${result.files.join(", ")})`, ""];
  lines.push("k6 scenarios:");
  for (const [source, o] of Object.entries(result.scenarios)) {
    const shape = o.executor === "constant-vus" ? `${o.vus} VUs for ${o.duration}` : o.executor === "constant-arrival-rate" ? `${o.rate} per ${o.timeUnit} for ${o.duration}` : `${(o.stages as unknown[]).length} stages from ${o.startRate} per ${o.timeUnit}`;
    lines.push(`  ${source}: ${o.executor}, ${shape}${o.maxVUs !== undefined ? `, up to ${o.maxVUs} VUs` : ""}; ${result.bodies[source]} distinct bodies`);
  }
  lines.push("", `thresholds (${result.thresholds.length}):`);
  for (const t of result.thresholds) lines.push(`  ${t.metric}: ${t.expression}    ← ${t.hypothesis}: ${t.assertion}`);
  if (result.unexpressed.length > 0) {
    lines.push("", `not expressible as k6 thresholds (${result.unexpressed.length}); aire ingest k6 scores those its data allows (relative to the baseline, throughput, cost, retry amplification; with --sse the stream latencies), the fault windows are INCONCLUSIVE there:`);
    for (const u of result.unexpressed) lines.push(`  ${u.hypothesis}: ${u.assertion} — ${u.why}`);
  }
  if (result.notes.length > 0) {
    lines.push("", "differences from aire run:");
    for (const n of result.notes) lines.push(`  - ${n}`);
  }
  lines.push(
    "",
    "k6 judges thresholds per runner, on its share of the traffic; the global verdicts come from:",
    `  aire ingest k6 <the runners' --out json files> --scenario ${scenarioFile}`,
    `k6-operator: kubectl apply -f ${join(result.dir, "testrun.yaml")}   (TestRun ${name}; keys from the secret aire-keys: ${result.keys.map((k) => `${k.env}${k.optional ? " (optional)" : ""}`).join(", ")})`,
  );
  return lines.join("\n");
}

/** A gateway URL the export may target: http(s), loopback or in the scenario's allow: list. */
function checkUrl(url: string, loaded: LoadedScenario): void {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !/^https?:$/.test(parsed.protocol)) throw new HarnessError("USAGE", { message: `--url ${url}: an http(s) URL of the gateway, e.g. https://llm-gateway.internal/v1` });
  const host = parsed.hostname;
  if (!isLoopbackHost(host) && !hostAllowed(host, loaded.scenario.allow)) throw new HarnessError("USAGE", { message: `${url}: ${host} is not loopback and not in the scenario's allow: list (${loaded.file}); add "${host}" to allow: to export traffic for it` });
}

/** Where the exported script does less than `aire run`, said up front. */
function differences(scenario: Scenario, sse: boolean): string[] {
  const { traffic } = scenario;
  const notes: string[] = [];
  const faults = scenario.phases.flatMap((p) => p.faults.map((f) => `${p.name}: ${f.kind}`));
  if (faults.length > 0) notes.push(`faults are not in the script (k6 only sends): ${faults.join(", ")}`);
  if (traffic.client.abandonAfterTtft !== undefined) notes.push("client.abandonAfterTtft: k6 cannot give up on a request at its first token; requests run to their timeout");
  if (traffic.mix.some((w) => w.quality?.jsonSchema)) notes.push("quality.jsonSchema: the script checks that answers parse as JSON; only aire validates them against the schema");
  if (!sse && traffic.mix.some((w) => w.stream)) notes.push("streamed answers are read whole (stock k6/http): no TTFT, TPOT or inter-token gaps; export with --sse for xk6-sse");
  return notes;
}

/** One k6 scenario (executor) per traffic source, each long enough for its longest session; adds its notes. */
function executors(scenario: Scenario, sources: ReturnType<typeof sourcesOf>, totalMs: number, maxVus: number, notes: string[]): { scenarios: Record<string, Record<string, unknown>>; thinkTimeMs: Record<string, number> } {
  const { traffic } = scenario;
  const timeoutMs = traffic.client.timeout;
  const retryMs = traffic.client.retries * (timeoutMs + 8_000);
  const scenarios: Record<string, Record<string, unknown>> = {};
  const thinkTimeMs: Record<string, number> = {};
  for (const source of sources) {
    const sessionMs = Math.max(
      ...source.mix.map(({ index }) => {
        const w = traffic.mix[index]!;
        if (w.kind !== "agent") return timeoutMs + retryMs;
        const spec = w.session ?? { turns: [2, 4] as [number, number], thinkTime: 1000, toolCalls: 0.5 };
        const turns = Array.isArray(spec.turns) ? spec.turns[1] : spec.turns;
        return turns * (2 * (timeoutMs + retryMs) + spec.thinkTime);
      }),
    );
    const made = executorFor(source.arrival, totalMs, { gracefulStopMs: sessionMs, iterationMs: sessionMs, maxVus });
    scenarios[source.name] = made.options;
    notes.push(...made.notes.map((n) => `${source.name}: ${n}`));
    if (source.arrival.type === "closed") thinkTimeMs[source.name] = source.arrival.thinkTime;
  }
  return { scenarios, thinkTimeMs };
}

/**
 * The k6-operator TestRun, the results claim its runners write to, and the pod that serves them
 * (busybox httpd on 8080: `aire run --load k6-operator` reads the files through the API server's
 * pod proxy; `kubectl cp` works as well).
 */
function manifests(name: string, options: ExportOptions, url: string | null, keyEnvs: readonly { env: string; optional: boolean }[], labels: Record<string, string>) {
  const image = options.image ?? DEFAULT_K6_IMAGE;
  const secret = options.keysSecret ?? "aire-keys";
  const results = `${name}-results`;
  const testRun: KubeObject = {
    apiVersion: "k6.io/v1alpha1",
    kind: "TestRun",
    metadata: { name, namespace: options.namespace, labels },
    spec: {
      parallelism: options.parallelism,
      script: { configMap: { name, file: "script.js" } },
      // Each runner writes its own raw results to the shared volume; aire ingest k6 merges them.
      arguments: `--out json=/results/$(POD_NAME).json.gz --tag testid=${name}`,
      // The runners start paused; the operator's starter resumes them together once all are up.
      paused: "true",
      runner: {
        image,
        env: [
          { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "AIRE_SUMMARY", value: "/results/$(POD_NAME)-summary.json" },
          ...(url === null ? [{ name: "AIRE_TARGET_URL", value: "http://CHANGE-ME:8080/v1" }] : []),
          ...keyEnvs.map(({ env, optional }) => ({ name: env, valueFrom: { secretKeyRef: { name: secret, key: env, ...(optional ? { optional: true } : {}) } } })),
        ],
        volumeMounts: [{ name: "results", mountPath: "/results" }],
        volumes: [{ name: "results", persistentVolumeClaim: { claimName: results } }],
      },
      ...(options.sse ? { initializer: { image } } : {}),
    },
  };
  const claim: KubeObject = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: results, namespace: options.namespace, labels }, spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "1Gi" } } } };
  const fetchPod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: results, namespace: options.namespace, labels },
    spec: {
      restartPolicy: "Never",
      containers: [{ name: "results", image: "busybox:1.36", command: ["busybox", "httpd", "-f", "-p", "8080", "-h", "/results"], ports: [{ containerPort: 8080 }], volumeMounts: [{ name: "results", mountPath: "/results" }] }],
      volumes: [{ name: "results", persistentVolumeClaim: { claimName: results } }],
    },
  };
  return { testRun, claim, fetchPod };
}
