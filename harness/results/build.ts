/**
 * Builds `summary.json` (the {@link RunReport}) from a results directory's raw files:
 * `scenario.resolved.yaml`, `events.jsonl`, `samples.jsonl` and, from the reference stack,
 * `telemetry.jsonl`. The run calls it once it has
 * finished; `aire report <dir>` calls it again at any time, also on the files of a run that was
 * killed (a torn last line is skipped, and the report says the run is incomplete).
 * @module
 */
import { createReadStream, existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { HarnessError } from "../base/errors.js";
import { formatDuration } from "../base/units.js";
import type { Sample } from "../metrics/sample.js";
import { Aggregates } from "./recorder.js";
import { formatIssue, parseScenario } from "../scenario/load.js";
import type { Scenario } from "../scenario/schema.js";
import { Scorer, type Timeline } from "../slo/score.js";
import type { TrafficResult } from "../traffic/generator.js";
import { PhaseClock, type PhaseAction } from "../traffic/phase-clock.js";
import { summarizeWindow, summarizeWindows, SCHEMA_VERSION, type RunEvent, type RunReport, type RunStatus } from "./run-report.js";
import { starvedSeconds, summarizeTelemetry, type TelemetryLine } from "./telemetry.js";
import { summarizeProbes } from "./probes.js";
import type { ExportResult } from "./export/index.js";
import type { ProbeReading } from "../metrics/probe-reading.js";

export interface BuildOptions {
  /** Overrides the schedule-lag budget (max, ms) the run recorded. */
  maxScheduleLagMs?: number;
  /** A stored run whose same windows are the baseline of relative thresholds (`k * baseline`). */
  baselineDir?: string;
}

type Event = { t: number; type: string; [key: string]: unknown };

/** Lines of a JSONL file, skipping a torn or unreadable line (a crash mid-write); counts them. */
export async function* readJsonl<T>(path: string, skipped: { n: number }): AsyncGenerator<T> {
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as T;
    } catch {
      skipped.n++;
    }
  }
}

const emptyTraffic: TrafficResult = { scheduled: 0, completed: 0, unanswered: 0, cancelled: 0, maxScheduleLagMs: 0, scheduleLagMs: { p50: 0, p99: 0, max: 0 }, eventLoopLagMs: { p99: 0, max: 0 } };

interface RunFiles {
  events: Event[];
  start: Event;
  scenario: Scenario;
  resolvedPath: string;
  timeScale: number;
  trafficStart: Event | undefined;
  rel: (t: number) => number;
  timeline: ReturnType<typeof timelineOf>;
  skipped: { n: number };
}

/** The run's events, scenario and timeline (samples are read separately, streamed). */
async function readRun(dir: string): Promise<RunFiles> {
  const skipped = { n: 0 };
  const events: Event[] = [];
  for await (const e of readJsonl<Event>(join(dir, "events.jsonl"), skipped)) events.push(e);
  const resolvedPath = join(dir, "scenario.resolved.yaml");
  let text: string;
  try {
    text = await readFile(resolvedPath, "utf8");
  } catch {
    throw new HarnessError("USAGE", { message: `${dir} is not a results directory of aire run: it has no scenario.resolved.yaml` });
  }
  // A run killed before its first event was written: its start is read from the resolved scenario's header.
  const start = events.find((e) => e.type === "run_start") ?? (await startFromHeader(text, resolvedPath));
  const timeScale = typeof start.timeScale === "number" ? start.timeScale : 1;
  // A game day's fault windows may have been filled by hand only (its scenario schedules no fault).
  const faultsByHand = start.gameday === true || events.some((e) => e.type === "gameday");
  const parsed = parseScenario(text, resolvedPath, { ...(timeScale === 1 ? {} : { timeScale }), ...(faultsByHand ? { faultsByHand } : {}) });
  if (!parsed.ok) throw new HarnessError("SCENARIO_INVALID", { message: `${resolvedPath} does not validate`, details: parsed.issues.map(formatIssue) });
  // Sample times count from the traffic start; event times from the run start.
  const trafficStart = events.find((e) => e.type === "traffic_start");
  const t0 = typeof trafficStart?.t0 === "number" ? trafficStart.t0 : (trafficStart?.t ?? 0);
  const rel = (t: number) => Math.round((t - t0) * 1000) / 1000;
  return { events, start, scenario: parsed.value.scenario, resolvedPath, timeScale, trafficStart, rel, timeline: timelineOf(parsed.value.scenario, events, rel), skipped };
}

/**
 * The `run_start` a run writes first, rebuilt from the header `aire run` puts on
 * scenario.resolved.yaml before it (`# aire resolved scenario: run …, file …, seed …, time scale …`
 * and a `# --set …` line per override); the file's time is the start's.
 */
async function startFromHeader(text: string, resolvedPath: string): Promise<Event> {
  const head = /^# aire resolved scenario: run (\S+), file (.*), seed (\d+), time scale ([\d.e+-]+)$/m.exec(text);
  const set = [...text.matchAll(/^# --set (.*)$/gm)].map((m) => m[1]!);
  const { mtime } = await stat(resolvedPath);
  return { type: "run_start", t: 0, ts: mtime.toISOString(), runId: head?.[1] ?? basename(dirname(resolvedPath)), ...(head ? { file: head[2], timeScale: Number(head[4]) } : {}), set };
}

/** Reads a results directory back into its report. Throws a HarnessError when it is not one. */
export async function buildReport(dir: string, options: BuildOptions = {}): Promise<RunReport> {
  const { events, start, scenario, resolvedPath, timeScale, trafficStart, rel, timeline, skipped } = await readRun(dir);
  const first = (type: string) => events.find((e) => e.type === type);

  // Relative thresholds against a stored run: its same windows, from its own files.
  const stored = options.baselineDir ? await readRun(options.baselineDir) : undefined;
  const storedId = stored ? String(stored.start.runId) : undefined;
  const aggregates = new Aggregates(scenario.phases.map((p) => p.name));
  const scorer = new Scorer(scenario.hypotheses, timeline, stored ? { name: storedId!, timeline: stored.timeline } : undefined);
  if (stored) for await (const sample of readJsonl<Sample>(join(options.baselineDir!, "samples.jsonl"), { n: 0 })) scorer.addBaseline(sample);
  let lastSample = 0;
  for await (const sample of readJsonl<Sample>(join(dir, "samples.jsonl"), skipped)) {
    aggregates.add(sample);
    scorer.add(sample);
    lastSample = Math.max(lastSample, sample.scheduledAt);
  }

  const ended = first("traffic_end");
  const traffic: TrafficResult = ended ? { ...emptyTraffic, ...pick(ended, [...Object.keys(emptyTraffic), "dropped", "lagMeasured"]) } : emptyTraffic;
  const statusEvent = first("run_status");
  const crash = events.find((e) => e.type === "error");
  const status: RunStatus = statusEvent ? (statusEvent.status as RunStatus) : first("interrupt") ? "interrupted" : crash ? "error" : "incomplete";
  const error = typeof statusEvent?.error === "string" ? statusEvent.error : typeof crash?.error === "string" ? crash.error : status === "incomplete" ? "the run stopped before it finished (killed?): this report covers what it recorded" : undefined;

  const budget = trafficStart?.lagBudget as { p99: number; max: number } | undefined;
  const p99Budget = budget?.p99 ?? scenario.limits.scheduleLag.p99;
  const maxBudget = options.maxScheduleLagMs ?? budget?.max ?? scenario.limits.scheduleLag.max;
  const lag = traffic.scheduleLagMs;
  // Load that was due and never sent (k6's dropped iterations) is lag beyond any budget.
  const invalidReason = traffic.dropped
    ? `k6 dropped ${traffic.dropped} of ${traffic.scheduled} iterations: load the scenario asked for was never sent (too few VUs: export with a higher --max-vus)`
    : lag.p99 > p99Budget
      ? `the generator's schedule lag p99 was ${lag.p99} ms (budget ${p99Budget} ms): it could not send on time, so its latencies are not the system's`
      : traffic.maxScheduleLagMs > maxBudget
        ? `the generator fell ${Math.round(traffic.maxScheduleLagMs)} ms behind its schedule (budget ${maxBudget} ms)`
        : undefined;
  const trafficValid = invalidReason === undefined;
  const scored = status === "completed" || status === "incomplete" || status === "aborted";
  const telemetryLines: TelemetryLine[] = [];
  for await (const line of readJsonl<TelemetryLine>(join(dir, "telemetry.jsonl"), skipped)) telemetryLines.push(line);
  // The reference stack's processes simulate a system: starved by the machine, they measured it.
  // A url target's lag is its own system's behaviour, and judged as such.
  const stackLag = scenario.limits.stackLag;
  const starved = scenario.target.reference ? starvedSeconds(telemetryLines, stackLag, timeline.phases, rel) : [];
  // What the probes said, on the samples' clock.
  const readings: ProbeReading[] = [];
  for await (const r of readJsonl<ProbeReading>(join(dir, "probes.jsonl"), skipped)) readings.push({ ...r, t: rel(r.t) });
  for (const r of readings) scorer.addReading(r);
  const lostFaults = events.filter((e) => e.type === "fault_lost").map((e) => ({ fault: String(e.fault), phase: String(e.phase), at: rel(e.t) }));
  const hypotheses = scored ? scorer.results({ trafficValid, ...(invalidReason ? { invalidReason } : {}), ...(lostFaults.length > 0 ? { lostFaults } : {}), ...(starved.length > 0 ? { starved, starvedBudgetMs: stackLag } : {}) }) : [];
  const verdict: RunReport["verdict"] =
    status === "interrupted" ? "INTERRUPTED" : status === "error" ? "ERROR" : status === "incomplete" ? "INCOMPLETE" : status === "aborted" ? "ABORTED" : hypotheses.length === 0 ? "NO_HYPOTHESES" : hypotheses.every((h) => h.verdict === "PASS") ? "PASS" : hypotheses.some((h) => h.verdict === "FAIL") ? "FAIL" : "INCONCLUSIVE";
  const exitCode = typeof statusEvent?.exitCode === "number" && status !== "completed" ? statusEvent.exitCode : status === "interrupted" ? 130 : status === "aborted" ? 4 : status === "error" || status === "incomplete" ? 3 : verdict === "PASS" || verdict === "NO_HYPOTHESES" ? 0 : 1;
  const phaseStarts = new Map(events.filter((e) => e.type === "phase_start").map((e) => [e.phase as string, rel(e.t)]));
  const faultsOf = new Map<string, string[]>();
  for (const e of events.filter((x) => x.type === "fault_apply")) {
    const list = faultsOf.get(e.phase as string) ?? [];
    if (!list.includes(e.description as string)) list.push(e.description as string);
    faultsOf.set(e.phase as string, list);
  }
  const last = [...events].reverse().find((e) => e.type === "run_end" || e.type === "run_status");

  return {
    schemaVersion: SCHEMA_VERSION,
    runId: String(start.runId),
    scenario: { name: scenario.name, file: String(start.file ?? resolvedPath), description: scenario.description, seed: scenario.seed, sha256: String(start.sha256 ?? ""), set: (start.set as string[] | undefined) ?? [], timeScale },
    status,
    verdict,
    exitCode,
    startedAt: String(start.ts),
    endedAt: String(last?.ts ?? events.at(-1)?.ts ?? start.ts),
    ...(error ? { error } : {}),
    target: { kind: scenario.target.reference ? "reference" : "url", ...(scenario.target.url ? { url: scenario.target.url } : {}), gateway: (trafficStart?.gateway as Record<string, unknown> | undefined) ?? (scenario.target.reference ? { profile: scenario.target.reference.gateway.profile } : {}), components: events.filter((e) => e.type === "component_ready" && typeof e.url === "string" && typeof e.pid === "number").map((e) => ({ label: String(e.component), pid: e.pid as number, url: e.url as string })) },
    traffic: { arrival: String(trafficStart?.arrival ?? ""), ratePerSec: (trafficStart?.meanRatePerSec as number | null | undefined) ?? null, ...(Array.isArray(trafficStart?.workers) ? { workers: trafficStart.workers.length } : {}), ...traffic, valid: trafficValid, ...(invalidReason ? { invalidReason } : {}) },
    phases: scenario.phases.map((p, i) => ({
      name: p.name,
      startMs: phaseStarts.get(p.name) ?? (status === "completed" ? timeline.phases[i]!.start : -1),
      durationMs: timeline.phases[i]!.end - timeline.phases[i]!.start,
      faults: faultsOf.get(p.name) ?? [],
      ...summarizeWindow(aggregates.windows.get(p.name)!),
      workloads: summarizeWindows(aggregates.workloads.get(p.name)),
      tenants: summarizeWindows(aggregates.tenants.get(p.name)),
    })),
    total: { ...summarizeWindow(aggregates.run), workloads: summarizeWindows(aggregates.runWorkloads), tenants: summarizeWindows(aggregates.runTenants) },
    timeline: { ...timeline, lastSampleMs: lastSample },
    timeSeries: aggregates.series.summarize(),
    ...(telemetryLines.length > 0 ? { telemetry: { ...summarizeTelemetry(telemetryLines, timeline.phases, rel), ...(scenario.target.reference ? { starvation: { budgetMs: stackLag, seconds: starved } } : {}) } } : {}),
    ...(scenario.probes.length > 0 ? { probes: summarizeProbes(scenario.probes, readings) } : {}),
    ...(first("export_end") ? { exports: first("export_end")!.exports as ExportResult[] } : {}),
    hypotheses,
    events: events.filter((e) => reportedEvents.has(e.type)).map((e) => eventOf(e, rel)),
    ...(skipped.n > 0 ? { unreadableLines: skipped.n } : {}),
    ...(stored ? { baselineRun: { runId: storedId!, dir: options.baselineDir! } } : {}),
  };
}

const reportedEvents = new Set(["traffic_start", "phase_start", "phase_end", "fault_applied", "fault_reverted", "fault_apply_failed", "fault_revert_failed", "fault_lost", "pod_kill", "pod_kill_failed", "k8s_pod_kill", "k8s_pods_recovered", "k8s_pods_not_recovered", "abort", "interrupt", "error", "traffic_end", "gameday", "manual_action", "note"]);

function eventOf(e: Event, rel: (t: number) => number): RunEvent {
  if (e.type === "k8s_pod_kill") return { t: rel(e.t), type: e.type, detail: `${e.namespace}/${e.pod}${e.dryRun ? " (dry run: not deleted)" : ""}` };
  // A game day's record: who acted, and what the team saw (detection and mitigation timed from the fault).
  if (e.type === "manual_action") return { t: rel(e.t), type: e.type, detail: `${e.action === "stop_all" ? "stop everything" : e.action === "go" ? `go, after holding at start ${formatDuration(Number(e.heldMs))}` : phaseMove(e) ?? `${e.action} ${e.fault ?? ""}`.trim()} (by ${e.by})` };
  if (e.type === "note") return { t: rel(e.t), type: e.type, detail: `${e.kind === "note" ? "" : `${e.kind}${typeof e.sinceFaultMs === "number" ? ` ${Math.round(e.sinceFaultMs)} ms after the fault's start` : ""}: `}${e.text} (by ${e.by})` };
  if (e.type === "k8s_pods_recovered" || e.type === "k8s_pods_not_recovered") return { t: rel(e.t), type: e.type, detail: `${e.ready} of ${e.readyBefore} pods ready ${e.afterMs} ms after the kill` };
  const detail = e.type.startsWith("fault") ? String(e.description ?? e.fault ?? "") : e.type.startsWith("phase") ? String(e.phase ?? "") : String(e.error ?? e.reason ?? e.condition ?? e.pod ?? e.component ?? "");
  // The traffic starts at its own t0 (0 on the samples' clock), a moment after the event is written.
  return { t: e.type === "traffic_start" && typeof e.t0 === "number" ? rel(e.t0) : rel(e.t), type: e.type, detail };
}

/**
 * Phases at their planned offsets, or where a facilitator moved them (aire gameday: the clock
 * replayed from its actions, exact to the millisecond the run used); each fault from applied to
 * rolled back, in traffic time.
 */
function timelineOf(scenario: Scenario, events: readonly Event[], rel: (t: number) => number): Omit<RunReport["timeline"], "lastSampleMs"> & Timeline {
  const clock = PhaseClock.replay(scenario.phases, phaseActions(events));
  // Held when the run stopped: the phase ends with the run.
  const stopped = events.find((e) => e.type === "traffic_end" || e.type === "run_status") ?? events.at(-1);
  const stoppedAt = stopped ? rel(stopped.t) : 0;
  const phases = clock.windows().map((w) => ({ name: w.name, start: w.start, end: w.end ?? Math.max(w.start, stoppedAt) }));
  // Phases never reached (held before them when the run stopped) keep their planned length after it.
  for (const p of scenario.phases.slice(phases.length)) phases.push({ name: p.name, start: phases.at(-1)?.end ?? 0, end: (phases.at(-1)?.end ?? 0) + p.duration });
  const offset = phases.at(-1)?.end ?? 0;
  const applied = new Map<string, Event>();
  for (const e of events) if (e.type === "fault_apply") applied.set(String(e.fault), e);
  const faults = events
    .filter((e) => e.type === "fault_applied")
    .map((e) => {
      const name = String(e.fault);
      const reverted = events.find((r) => r.type === "fault_reverted" && r.fault === name);
      const intent = applied.get(name);
      return { name, phase: String(intent?.phase ?? ""), description: String(intent?.description ?? name), start: rel(e.t), end: reverted ? rel(reverted.t) : null };
    });
  return { phases, faults, end: offset };
}

/** A facilitator's move of the phase clock, said; undefined for other actions. */
function phaseMove(e: Event): string | undefined {
  switch (e.action) {
    case "hold":
    case "resume":
    case "advance":
      return `${e.action} phase ${String(e.phase)}`;
    case "extend":
      return `extend phase ${String(e.phase)} by ${formatDuration(Number(e.ms))}`;
    case "rate":
      return typeof e.rate === "number" ? `arrival rate ${e.rate}/s` : "arrival rate back to the scenario's";
  }
  return undefined;
}

/** A facilitator's moves of the phase clock, in order, as `events.jsonl` has them. */
export function phaseActions(events: readonly Event[]): PhaseAction[] {
  const moves = new Set(["hold", "resume", "extend", "advance", "rate"]);
  return events.filter((e) => e.type === "manual_action" && moves.has(String(e.action)) && typeof e.at === "number").map((e) => {
    const at = e.at as number;
    return e.action === "extend" ? { action: "extend", at, ms: Number(e.ms) } : e.action === "rate" ? { action: "rate", at, rate: typeof e.rate === "number" ? e.rate : null } : { action: e.action as "hold" | "resume" | "advance", at };
  });
}

function pick(e: Event, keys: readonly string[]): Partial<TrafficResult> {
  return Object.fromEntries(keys.filter((k) => k in e).map((k) => [k, e[k]])) as Partial<TrafficResult>;
}
