/**
 * `aire ingest k6 <file>… --scenario <scenario>`: scores a scenario's hypotheses on k6's raw results.
 *
 * Input: k6 `--out json` files (NDJSON, `.gz` too), one per runner — k6-operator runs `parallelism`
 * runners, each judging its thresholds on its own slice (k6-operator#115, #413). Here all of them
 * become one sample set, so every percentile and ratio is global.
 *
 * One request is the group of `http_req_*` points k6 writes for it: the same timestamp (when the
 * response was processed), the same tags, the same runner (`instance_id`). When the script sets
 * `exec.vu.metrics.metadata.rid` per request (scripts from `aire export k6` do), points carry it
 * and custom per-request metrics join in too: `aire_ttft` (ms), `aire_ok` (Rate: a complete answer;
 * its tags name the error class and the model), `aire_output_tokens`, `aire_prompt_tokens` and
 * `aire_upstream_attempts` (so cost and retry amplification can be scored), and the rest of the
 * `aire_*` metrics of harness/commands/k6/runtime.k6.js. Tags `phase`, `workload` and `tenant` are used when present; otherwise the
 * phase comes from the request's start time on the scenario's timeline and the workload is the
 * mix's first. k6 measures from the moment it sent, not from an intended time: the samples say so
 * (`scheduledAt` = `sentAt`).
 *
 * The result is an ordinary results directory (scenario.resolved.yaml, events.jsonl,
 * samples.jsonl), so `aire report`, `aire compare` and every report format work on it.
 * @module
 */
import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { createHash } from "node:crypto";
import { HarnessError } from "../../base/errors.js";
import type { Sample } from "../../metrics/sample.js";
import type { LoadedScenario } from "../../scenario/load.js";
import type { ErrorClass } from "../../slo/expression.js";
import { newRunId } from "../../results/run-id.js";
import { Pricing } from "../../traffic/cost.js";

interface PointLine {
  type: "Point";
  metric: string;
  data: { time: string; value: number; tags?: Record<string, string> | null; metadata?: Record<string, string> | null };
}

/** One request's points, by metric. */
export interface Request {
  endMs: number;
  tags: Record<string, string>;
  values: Map<string, number>;
  /** When the script recorded the logical request (its `aire_e2e_any` point): the end of all its attempts. */
  recordedMs?: number;
  /** `aire_itl` points: the gaps between tokens. */
  gaps?: number[];
}

/** k6's own per-request metrics, and those of scripts from `aire export k6` (harness/commands/k6/runtime.k6.js). */
const REQUEST_METRICS = new Set([
  "http_reqs", "http_req_duration", "http_req_waiting", "http_req_sending", "http_req_receiving", "http_req_blocked", "http_req_connecting", "http_req_failed",
  "aire_ok", "aire_ttft", "aire_ttfb", "aire_e2e_any", "aire_tpot", "aire_max_stall", "aire_itl", "aire_output_tokens", "aire_attempts", "aire_prompt_tokens", "aire_upstream_attempts",
]);

/** RFC3339Nano (any offset) → ms since the epoch, keeping the sub-millisecond part. */
export function k6Time(text: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  return whole + (m[2] ? Number(`0${m[2]}`) * 1000 : 0);
}

/**
 * Groups k6's points into requests as they are read, line by line: a whole file (`readK6File`) or
 * a file still being written (`aire run --load k6`, which takes the requests that have gone quiet).
 */
export class K6Points {
  readonly #byKey = new Map<string, Request & { seen: number }>();
  dropped = 0;
  readonly #file: string;
  readonly #runner: number;

  constructor(file: string, runner: number) {
    this.#file = file;
    this.#runner = runner;
  }

  /** Takes one line of the NDJSON (`seen`: when it was read, for `quiet`). */
  add(line: string, lineNo: number, seen = 0): void {
    if (line.trim() === "") return;
    let parsed: PointLine | { type: "Metric" };
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new HarnessError("USAGE", { message: `${this.#file}:${lineNo}: not a JSON line (is this k6's --out json output?)` });
    }
    if (parsed.type !== "Point") return;
    const p = parsed as PointLine;
    if (p.metric === "dropped_iterations") {
      this.dropped += p.data.value;
      return;
    }
    if (!REQUEST_METRICS.has(p.metric)) return;
    const time = k6Time(p.data.time);
    if (Number.isNaN(time)) throw new HarnessError("USAGE", { message: `${this.#file}:${lineNo}: "${p.data.time}" is not an RFC 3339 time` });
    const tags = p.data.tags ?? {};
    const rid = p.data.metadata?.rid;
    // With a request id (aire's scripts) the join is exact; otherwise k6's own: same time, tags and runner.
    const key = rid !== undefined ? `${tags.instance_id ?? this.#runner}|rid|${rid}` : `${tags.instance_id ?? this.#runner}|${p.data.time}|${tags.name ?? tags.url ?? ""}|${tags.method ?? ""}|${tags.scenario ?? ""}`;
    let request = this.#byKey.get(key);
    if (!request) this.#byKey.set(key, (request = { endMs: time, tags: {}, values: new Map(), seen }));
    request.seen = seen;
    if (p.metric.startsWith("http_req")) {
      request.endMs = time;
      Object.assign(request.tags, tags);
    } else if (p.metric === "aire_ok") {
      // The script's verdict carries the error class and the provider that answered.
      if (tags.aire_error) request.tags.aire_error = tags.aire_error;
      if (tags.provider) request.tags.provider = tags.provider;
      if (tags.model) request.tags.model = tags.model;
    } else if (p.metric === "aire_e2e_any") request.recordedMs = time;
    if (p.metric === "aire_itl") (request.gaps ??= []).push(p.data.value);
    else request.values.set(p.metric, p.data.value);
  }

  /**
   * Takes out the requests no point has joined since `before` (all of them without it). A group
   * without an HTTP request (a stray custom point) is not a request.
   */
  take(before = Number.POSITIVE_INFINITY): Request[] {
    const out: Request[] = [];
    for (const [key, r] of this.#byKey) {
      if (r.seen >= before) continue;
      this.#byKey.delete(key);
      if (r.values.has("http_req_duration")) out.push(r);
    }
    return out;
  }
}

/** Reads one k6 NDJSON file (gzip by its `.gz` suffix) into requests; `dropped` counts dropped_iterations. */
export async function readK6File(file: string, runner: number): Promise<{ requests: Request[]; dropped: number }> {
  const points = new K6Points(file, runner);
  const raw = createReadStream(file);
  const input = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  let lineNo = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) points.add(line, ++lineNo);
  } catch (err) {
    if (err instanceof HarnessError) throw err;
    throw new HarnessError("USAGE", { message: `cannot read ${file}: ${(err as Error).message}` });
  }
  return { requests: points.take(), dropped: points.dropped };
}

function errorClassOf(status: number, tags: Record<string, string>): ErrorClass {
  if (status === 0) return tags.error_code === "1050" ? "timeout" : "connect";
  if (status === 429) return "http_429";
  if (status >= 500) return "http_5xx";
  if (status >= 400) return "http_4xx";
  return (tags.aire_error as ErrorClass | undefined) ?? "truncated";
}

export interface IngestResult {
  dir: string;
  runners: number;
  requests: number;
  dropped: number;
}

/** When a request started: a logical request of an aire script spans all its attempts (aire_e2e_any); otherwise it is k6's one HTTP request. */
export function k6RequestStart(r: Request): number {
  return r.recordedMs !== undefined ? r.recordedMs - r.values.get("aire_e2e_any")! : r.endMs - (r.values.get("http_req_duration") ?? 0);
}

const phaseBounds = (scenario: LoadedScenario["scenario"]) => scenario.phases.reduce<{ name: string; end: number }[]>((acc, p) => [...acc, { name: p.name, end: (acc.at(-1)?.end ?? 0) + p.duration }], []);

/**
 * k6's requests as aire's samples, on a timeline that starts at `t0` (Unix ms). k6 measures from the
 * moment it sent, not from an intended time: the samples say so (`scheduledAt` = `sentAt`).
 */
export function k6Samples(scenario: LoadedScenario["scenario"], t0: number): (r: Request, id: number) => Sample {
  const bounds = phaseBounds(scenario);
  const streamOf = new Map(scenario.traffic.mix.map((w) => [w.name, w.stream]));
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const pricing = Object.keys(scenario.prices).length > 0 ? new Pricing(scenario.prices, scenario.traffic.model) : undefined;
  return (r, id) => {
    const v = (m: string) => r.values.get(m);
    const at = r3(k6RequestStart(r) - t0);
    const status = Number(r.tags.status ?? 0);
    const workload = r.tags.workload ?? scenario.traffic.mix[0]!.name;
    const aireOk = v("aire_ok");
    const ok = aireOk !== undefined ? aireOk === 1 : v("http_req_failed") !== 1 && status >= 200 && status < 300;
    const e2e = r3(v("aire_e2e_any") ?? v("http_req_duration")!);
    const ttfb = r3(v("aire_ttfb") ?? (v("http_req_sending") ?? 0) + (v("http_req_waiting") ?? 0));
    // A non-streamed answer's first token is the whole answer (as aire defines it).
    const ttft = v("aire_ttft") ?? (streamOf.get(workload) === false ? e2e : undefined);
    const sample: Sample = {
      id,
      phase: r.tags.phase ?? bounds.find((b) => at < b.end)?.name ?? bounds.at(-1)!.name,
      workload,
      scheduledAt: at,
      dispatchedAt: at,
      sentAt: at,
      status: status === 0 ? null : status,
      ok,
      ttfb,
      e2e,
      e2eService: e2e,
      outputTokens: v("aire_output_tokens") ?? 0,
      tokenSource: "counted",
    };
    if (ttft !== undefined) sample.ttft = sample.ttftService = r3(ttft);
    const tpot = v("aire_tpot");
    if (tpot !== undefined) sample.tpot = r3(tpot);
    const stall = v("aire_max_stall");
    if (stall !== undefined) sample.maxStall = r3(stall);
    if (r.gaps) sample.gaps = r.gaps;
    const attempts = v("aire_attempts");
    if (attempts !== undefined) sample.clientAttempts = attempts;
    if (r.tags.provider) sample.provider = r.tags.provider;
    if (r.tags.model) sample.model = r.tags.model;
    const prompt = v("aire_prompt_tokens");
    if (prompt !== undefined) sample.promptTokens = prompt;
    const upstream = v("aire_upstream_attempts");
    if (upstream !== undefined) sample.attempts = upstream;
    // Priced as a run prices them; an answer without its prompt tokens (stock k6) has no price, so cost is INCONCLUSIVE.
    if (pricing) {
      const answered = sample.status !== null && sample.status >= 200 && sample.status <= 299;
      const cost = answered && prompt === undefined ? undefined : pricing.cost(sample);
      sample.cost = cost === undefined ? null : Math.round(cost * 1e9) / 1e9;
    }
    if (!ok) sample.errorClass = errorClassOf(status, r.tags);
    if (r.tags.tenant) sample.tenant = r.tags.tenant;
    return sample;
  };
}

/** Turns the runners' files into one results directory for the scenario (see the module comment). */
export async function ingestK6(files: readonly string[], loaded: LoadedScenario, outDir: string): Promise<IngestResult> {
  const { scenario } = loaded;
  const all: Request[] = [];
  let dropped = 0;
  for (const [i, file] of files.entries()) {
    const read = await readK6File(file, i);
    for (const r of read.requests) all.push(r);
    dropped += read.dropped;
  }
  if (all.length === 0) throw new HarnessError("USAGE", { message: `no HTTP requests in ${files.join(", ")} (k6 --out json writes http_req_duration points for each)` });
  // Loops, not Math.min(...all) or push(...list): a long k6 run has more requests than a call has room for arguments.
  let t0 = Infinity;
  for (const r of all) t0 = Math.min(t0, k6RequestStart(r));
  const convert = k6Samples(scenario, t0);
  const samples: Sample[] = all.sort((a, b) => k6RequestStart(a) - k6RequestStart(b)).map((r, id) => convert(r, id));
  const bounds = phaseBounds(scenario);

  const runId = newRunId(`${scenario.name}-k6`);
  const dir = join(outDir, runId);
  await mkdir(dir, { recursive: true });
  const header = `# aire resolved scenario: k6 results ingested as run ${runId}, file ${loaded.file}, from ${files.join(", ")}\n${(loaded.options.set ?? []).map((s) => `# --set ${s}\n`).join("")}`;
  await writeFile(join(dir, "scenario.resolved.yaml"), header + loaded.source);
  await writeFile(join(dir, "samples.jsonl"), samples.map((s) => JSON.stringify(s)).join("\n") + "\n");
  // The ledger a run would have written: the phases on the k6 timeline (t in ms since the first request).
  const ts = (t: number) => new Date(t0 + t).toISOString();
  const events: Record<string, unknown>[] = [];
  const event = (t: number, type: string, data: Record<string, unknown> = {}) => events.push({ ts: ts(t), t: Math.round(t), type, ...data });
  let end = bounds.at(-1)!.end;
  for (const s of samples) end = Math.max(end, s.scheduledAt + s.e2e);
  event(0, "run_start", { runId, scenario: scenario.name, file: loaded.file, seed: scenario.seed, sha256: createHash("sha256").update(loaded.source).digest("hex"), set: loaded.options.set ?? [], timeScale: loaded.options.timeScale ?? 1, source: "k6", files: [...files] });
  event(0, "traffic_start", { t0: 0, arrival: `k6, ${files.length} runner file${files.length === 1 ? "" : "s"}`, meanRatePerSec: null });
  let start = 0;
  for (const b of bounds) {
    event(start, "phase_start", { phase: b.name, durationMs: b.end - start });
    event(b.end, "phase_end", { phase: b.name });
    start = b.end;
  }
  // k6 does not report how late it sent; it reports what it never sent (dropped iterations).
  event(end, "traffic_end", { scheduled: samples.length + dropped, completed: samples.length, unanswered: 0, cancelled: 0, dropped, lagMeasured: false, maxScheduleLagMs: 0, scheduleLagMs: { p50: 0, p99: 0, max: 0 }, eventLoopLagMs: { p99: 0, max: 0 } });
  event(end, "run_status", { status: "completed" });
  event(end, "run_end", {});
  await writeFile(join(dir, "events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return { dir, runners: files.length, requests: samples.length, dropped };
}
