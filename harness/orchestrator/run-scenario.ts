/**
 * One run, end to end: results directory → stack up → traffic over the phase timeline, each
 * phase's faults applied at its start and rolled back at its end → scoring → summary → teardown.
 * On interruption or error the order is fixed: faults are rolled back first, then traffic stops,
 * then the stack goes down (LIFO), and the results written so far stay readable.
 * @module
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { KubernetesAccess } from "../../faults/types.js";
import { writeReports, type RunReport, type RunStatus } from "../../reports/index.js";
import { buildReport } from "../results/build.js";
import { describeError, HarnessError, isHarnessError } from "../base/errors.js";
import { Teardown } from "../base/lifecycle/teardown.js";
import { sweepTemp } from "../base/lifecycle/temp.js";
import type { LoadedScenario } from "../scenario/load.js";
import { hostAllowed, type Scenario } from "../scenario/schema.js";
import { policyJson } from "../reference/gateway/config.js";
import { arrivalModel, describeArrival, lambda } from "../traffic/arrival.js";
import { gatewayPolicy } from "../stack/reference-stack.js";
import { startTarget, targetKeys, type TargetStack } from "../stack/target.js";
import { prepareTraffic, runTraffic, type TrafficResult } from "../traffic/generator.js";
import { warmUp } from "../traffic/warmup.js";
import type { TrafficWorkers } from "../traffic/workers.js";
import { PhaseClock, type PhaseAction, type PhaseWindow } from "../traffic/phase-clock.js";
import type { Sample } from "../metrics/sample.js";
import { EventLog } from "../results/event-log.js";
import { AbortWatch } from "./abort-watch.js";
import { applyFault, runPhaseFaults, type FaultTimelineContext } from "./fault-timeline.js";
import type { FaultSpec } from "../../faults/schema.js";
import { keepOf, watchTelemetry, type TelemetryTarget, type TelemetryWatch } from "./telemetry-watch.js";
import { JsonlFile, TelemetryFile } from "../results/telemetry.js";
import type { ProbeReading } from "../metrics/probe-reading.js";
import { missingProbeEnv } from "../probes/read.js";
import { ProbeWatch } from "./probe-watch.js";
import { missingExportEnv, RunExports } from "../results/export/index.js";
import { LiveStats } from "../results/live-stats.js";
import { LiveWatch, type LiveFault, type LiveView } from "./live-watch.js";
import type { ProgressState } from "../../reports/progress.js";

/** The reason of a run stopped by an abort condition. */
class AbortedRun extends Error {}
import { Recorder } from "../results/recorder.js";
import { Pricing } from "../traffic/cost.js";
import { newRunId } from "../results/run-id.js";

export interface RunOptions {
  /** Parent directory of the run's results directory. */
  outDir: string;
  /** Aborting it interrupts the run (SIGINT, SIGTERM): rollback, teardown, exit 130. */
  signal?: AbortSignal;
  /** Progress lines (phase changes, faults); the final summary is printed by the caller. */
  log?: (line: string) => void;
  /** The schedule lag beyond which measurements are untrustworthy and the run is INVALID. */
  maxScheduleLagMs?: number;
  /** A stored run (results directory) whose same windows are the baseline of relative thresholds. */
  baselineDir?: string;
  /** Called every second while the traffic runs: phase, time, req/s, ttft p95, error rate, active faults. */
  onProgress?: (state: ProgressState) => void;
  /** Generator processes (`--workers`): 1 (the default) sends from this process; more split the schedule between child processes; "auto" = `autoWorkers`. */
  workers?: number | "auto";
  /** Traffic sent by another load generator (`--load k6`) instead of aire's own; the run keeps the timeline, the faults and the scoring. */
  load?: ExternalLoad;
  /** A game day's hand on the run (`aire gameday`): handed a `RunControl` when the traffic starts. */
  onControl?: (control: RunControl) => void;
  /** A game day (`aire gameday`): said in the events, so the report writes its record (gameday.md). */
  gameday?: boolean;
  /**
   * Hold at start (`aire gameday --hold`): once the target is up and warmed up, the traffic waits
   * for a facilitator's Go; handed a `StartHold` to give it (or to stop everything instead).
   */
  onHold?: (hold: StartHold) => void;
}

/** A run held at start: the stack up and warmed up, the traffic waiting. */
export interface StartHold {
  readonly runId: string;
  /** Starts the traffic (the phase timeline counts from here). */
  go(by: string): void;
  /** Stops the run before any traffic: status aborted, exit 4. */
  stop(by: string): void;
}

export type NoteKind = "note" | "detected" | "mitigated";

/**
 * What a facilitator may do to a running run (`aire gameday`), each an event in `events.jsonl`
 * with who did it: inject a fault of the catalogue now (rolled back like a scheduled one: at its
 * stop, at the run's end, on interrupt or crash), stop one, stop everything (the run ends as an
 * abort condition ends it: rollback, exit 4), and note what the team sees.
 */
export interface RunControl {
  readonly runId: string;
  /** Applies the fault now; resolves once it is in place (rejects with the fault's own error). */
  inject(fault: FaultSpec, by: string, written?: unknown): Promise<{ name: string; description: string }>;
  /** Rolls back a fault injected by hand. */
  stopFault(name: string, by: string): Promise<void>;
  /** Rolls back every fault and stops the run: status aborted, exit 4. */
  stopAll(by: string): void;
  /** A timestamped observation; `detected` and `mitigated` are measured against the faults in place. */
  note(text: string, kind: NoteKind, by: string): { t: number; sinceFaultMs: number | null };
  /** The faults injected by hand and still in place. */
  manualFaults(): { name: string; description: string; sinceMs: number }[];
  /** The run now: its series (every second so far with `all`, else the recent ones), the hypotheses' standing, the generator's and the components' health, the faults in place. */
  live(all?: boolean): LiveView;
  /** Holds, resumes, extends or advances the current phase, or sets the shared arrival's rate (null: the scenario's); a refusal throws with its reason. */
  phase(request: PhaseRequest, by: string): { at: number; phase: string; windows: PhaseWindow[] };
  /** What the phase controls can do now. */
  phases(): PhaseState;
}

export type PhaseRequest = { action: "hold" | "resume" | "advance" } | { action: "extend"; ms: number } | { action: "rate"; rate: number | null };

/** The phases as they stand, and what a facilitator may change. */
export interface PhaseState {
  /** Why the phase controls cannot be used in this run. */
  unavailable?: string;
  windows: PhaseWindow[];
  /** Plan time stands still (held, or extended). */
  held: boolean;
  /** Held until resumed (not an extension). */
  open: boolean;
  /** The rate set by hand (null: the scenario's). */
  rate: number | null;
  rateBounds?: { min: number; max: number };
  rateUnavailable?: string;
}

/**
 * A load generator other than aire's own (k6 runners: commands/k6/load.ts), driven on the run's
 * timeline: made ready once the target is up, started at the run's start, its requests handed to
 * the run as samples on the run's clock while it goes, stopped on abort or interrupt.
 */
export interface ExternalLoad {
  /** Gets ready to send (for k6: the script exported, the runners started paused); returns what `traffic_start` records of it. */
  prepare(ctx: { loaded: LoadedScenario; dir: string; baseUrl: string; apiKey?: string; tenantKeys: Readonly<Record<string, string>>; signal: AbortSignal; log(line: string): void }): Promise<Record<string, unknown>>;
  /**
   * Starts sending at `start` (performance.now()); each request goes to `onSample` as soon as it is
   * known, timed from `start`; resolves with the traffic's account once done (or stopped by
   * `signal`). A generator that fails tells `onFailure` at once and rejects with the same error.
   */
  run(o: { start: number; signal: AbortSignal; onSample(sample: Sample): void; onFailure(err: HarnessError): void }): Promise<TrafficResult>;
  /**
   * For a load that starts by itself (k6-operator's starter): resolves with the instant
   * (performance.now()) it was seen sending, which the run then counts its timeline from.
   * Without it, the run picks the start and `run` begins at it.
   */
  started?(signal: AbortSignal): Promise<number>;
  /** Stops whatever still runs; idempotent. */
  close(): Promise<void>;
}

export interface RunOutcome {
  report: RunReport;
  dir: string;
}

/** Runs a loaded scenario. Never throws for a failing hypothesis or a broken stack: see `report.exitCode`. */
export async function runScenario(loaded: LoadedScenario, options: RunOptions): Promise<RunOutcome> {
  const { scenario } = loaded;
  const log = options.log ?? (() => {});
  // A url target's keys come from the environment: a missing one is a usage error before anything exists.
  const keys = targetKeys(scenario);
  const unset = missingProbeEnv(scenario.probes);
  if (unset.length > 0) throw new HarnessError("USAGE", { message: `probe ${unset[0]!.probe}: the environment variable ${unset[0]!.variable} is not set (it holds a header's value; the value is never written to the results)` });
  const unsetExport = missingExportEnv(scenario.export);
  if (unsetExport.length > 0) throw new HarnessError("USAGE", { message: `export: the environment variable ${unsetExport[0]} is not set (it holds a token or a header's value; the value is never written to the results)` });
  const runId = newRunId(scenario.name);
  const dir = join(options.outDir, runId);
  await mkdir(dir, { recursive: true });
  const sha256 = createHash("sha256").update(loaded.source).digest("hex");
  const header = `# aire resolved scenario: run ${runId}, file ${loaded.file}, seed ${scenario.seed}, time scale ${loaded.options.timeScale ?? 1}\n${(loaded.options.set ?? []).map((s) => `# --set ${s}\n`).join("")}`;
  await writeFile(join(dir, "scenario.resolved.yaml"), header + loaded.source);

  const events = new EventLog(join(dir, "events.jsonl"));
  // What killed runs left in the temp directory (configs holding tokens) goes before anything starts.
  const sweptTemp = sweepTemp();
  const recorder = new Recorder(join(dir, "samples.jsonl"), new Pricing(scenario.prices, scenario.traffic.model));
  const stackTeardown = new Teardown();
  const faultTeardown = new Teardown();
  const trafficStop = new AbortController();
  // The signal aborts with a signal name (interrupted, exit 130) or with an Error: the harness
  // crashed somewhere else in this process (status "error", exit 3). Both roll back the same way.
  const interrupted = () => options.signal?.aborted === true && !(options.signal.reason instanceof Error);
  const crashed = () => (options.signal?.aborted === true && options.signal.reason instanceof Error ? (options.signal.reason as Error) : undefined);
  // An abort condition that trips stops the run the way an interrupt does (exit 4, not 130).
  const abortRun = new AbortController();
  const aborted = () => abortRun.signal.aborted;
  // A traffic worker that dies stops the run as an infrastructure error (exit 3), rolled back as any.
  const workerFailed = new AbortController();
  const control = AbortSignal.any([abortRun.signal, workerFailed.signal, ...(options.signal ? [options.signal] : [])]);
  const runSignal = AbortSignal.any([trafficStop.signal, control]);
  let phasesOver = false;
  const live = new LiveStats();
  // A game day's console shows more than the status line: kept only then.
  const liveWatch = options.onControl ? new LiveWatch(scenario, { p99: scenario.limits.scheduleLag.p99, max: options.maxScheduleLagMs ?? scenario.limits.scheduleLag.max }) : undefined;
  /** The faults in place now; each activation is also kept on the samples' clock (the exports label requests with it). */
  const activeFaults = new FaultLedger();
  if (liveWatch) liveWatch.faults = () => activeFaults.windows();
  // Where the run is in its phases: moved only by a facilitator (aire gameday), else wall time itself.
  const clock = new PhaseClock(scenario.phases);
  if (liveWatch) clock.onChange(() => (liveWatch.phases = clock.windows()));
  let progressTimer: NodeJS.Timeout | undefined;
  const watch = new AbortWatch(scenario.abort, (trip) => {
    if (phasesOver) return;
    events.append("abort", { condition: trip.condition, observed: trip.observed, requests: trip.requests }, true);
    log(`abort: ${trip.condition} (observed ${trip.observed} over ${trip.requests} requests): rolling back faults, stopping traffic, stopping the stack`);
    abortRun.abort(new AbortedRun(`aborted: ${trip.condition} (observed ${trip.observed} over the last ${trip.requests} requests)`));
  });
  let status: RunStatus = "completed";
  let error: unknown;
  let stack: TargetStack | undefined;
  let traffic: Promise<TrafficResult> | undefined;
  let workers: TrafficWorkers | undefined;
  let telemetry: { file: TelemetryFile; watch: TelemetryWatch } | undefined;
  let probes: { file: JsonlFile<ProbeReading>; watch: ProbeWatch } | undefined;
  /** When the traffic started, in Unix ms (a range probe reads the run from there). */
  let trafficStartUnixMs = 0;
  let currentPhase: string | undefined;
  let exports: RunExports | undefined;
  const phaseStarts: number[] = [];

  events.append("run_start", { runId, scenario: scenario.name, file: loaded.file, seed: scenario.seed, sha256, set: loaded.options.set ?? [], timeScale: loaded.options.timeScale ?? 1, ...(options.gameday ? { gameday: true } : {}) });
  if (sweptTemp.length > 0) events.append("sweep", { temp: sweptTemp }, true);
  const onInterrupt = () => {
    const crash = crashed();
    if (crash) events.append("error", { error: describeError(crash), uncaught: true }, true);
    else events.append("interrupt", { reason: String(options.signal?.reason ?? "signal") }, true);
    log(`${crash ? "harness error" : "interrupted"}: rolling back faults, stopping traffic, stopping the stack`);
  };
  options.signal?.addEventListener("abort", onInterrupt, { once: true });

  try {
    events.append("stack_start", {});
    stack = await startTarget(scenario, runId, dir, stackTeardown, events, keys, control);
    if (interrupted()) throw options.signal!.reason;
    log(stack.kind === "reference" ? `stack ready: gateway ${stack.gatewayUrl}, toxiproxy ${stack.toxiproxyUrl}` : `target: ${stack.gatewayUrl}${stack.toxiproxyUrl ? `, toxiproxy ${stack.toxiproxyUrl}` : ""}`);

    const firstKey = Object.values(stack.tenantKeys)[0] ?? stack.apiKey;
    const warm = await warmUp(stack.gatewayUrl, scenario.traffic, options.signal ?? new AbortController().signal, firstKey);
    events.append("warmup", { ...warm });
    if (warm.ok < warm.requests && !interrupted()) log(`warning: warm-up: ${warm.ok} of ${warm.requests} requests answered 200 (first failure: ${warm.firstFailure}); the first measured requests pay the cold start`);
    else if (warm.retried > 0 && !interrupted()) log(`warning: warm-up: the gateway needed more than one upstream attempt for ${warm.retried} of ${warm.requests} requests; the breakers and latency estimates those failures fed start the timeline with them`);
    if (interrupted()) throw options.signal!.reason;

    const kubernetes = kubernetesAccess(scenario, loaded.file);
    // The Kubernetes client is loaded and pointed before the traffic starts: loading it later would
    // stall the generator for a second, and a kubeconfig that is wrong or not allowed stops the run here.
    if (kubernetes && scenario.phases.some((p) => p.faults.some((f) => f.kind === "k8s-pod-kill"))) {
      const { kubernetesClient } = await import("../../faults/pod/k8s-pod-kill.js");
      const { server } = await kubernetesClient(kubernetes);
      log(`kubernetes: ${server}`);
    }
    const workerCount = options.workers === "auto" ? autoWorkers(scenario) : (options.workers ?? 1);
    const drainMs = Math.min(scenario.traffic.client.timeout, scenario.limits.drain);
    // One process prepares its prompts and connections here; workers each prepare their own.
    const external = options.load;
    const prepared = workerCount > 1 || external ? undefined : await prepareTraffic(scenario.traffic, scenario.seed, { baseUrl: stack.gatewayUrl, ...(firstKey ? { apiKey: firstKey } : {}) });
    let loadInfo: Record<string, unknown> | undefined;
    if (external) loadInfo = await external.prepare({ loaded, dir, baseUrl: stack.gatewayUrl, ...(stack.apiKey !== undefined ? { apiKey: stack.apiKey } : {}), tenantKeys: stack.tenantKeys, signal: control, log });
    else if (workerCount > 1) {
      const { TrafficWorkers } = await import("../traffic/workers.js");
      workers = await TrafficWorkers.start(
        workerCount,
        { baseUrl: stack.gatewayUrl, tenantKeys: { ...stack.tenantKeys }, ...(stack.apiKey !== undefined ? { apiKey: stack.apiKey } : {}), traffic: scenario.traffic, seed: scenario.seed, phases: scenario.phases.map((p) => ({ name: p.name, duration: p.duration })), maxRequests: scenario.limits.maxRequests, drainMs },
        control,
      );
      const offsets = workers.clocks.map((c) => c.rttMs / 2);
      log(`${workerCount} traffic workers ready (pids ${workers.clocks.map((c) => c.pid).join(", ")}; clocks aligned to within ${Math.round(Math.max(...offsets) * 1000) / 1000} ms)`);
    }
    // The system's own account of itself: the gateway's and the providers' /metrics every second,
    // from before the first phase (a counter's increase in it needs a scrape before it).
    const targets: TelemetryTarget[] =
      stack.kind === "reference"
        ? stack.components.filter((c) => c.label === "gateway" || (/^provider-/.test(c.label) && !/-pod-\d+$/.test(c.label))).map((c) => ({ component: c.label, url: `${c.url}/metrics` }))
        : (scenario.target.metrics ?? []).map((m) => ({ component: m.name, url: m.url, keep: keepOf(m.keep) }));
    if (targets.length > 0) {
      const file = new TelemetryFile(join(dir, "telemetry.jsonl"));
      telemetry = {
        file,
        watch: watchTelemetry(
          targets,
          (line) => {
            file.write(line);
            liveWatch?.telemetry(line);
          },
          () => performance.now() - events.origin,
        ),
      };
    }
    if (scenario.probes.length > 0) {
      // What the system says about itself: the steady state before the traffic, then on each probe's interval.
      const file = new JsonlFile<ProbeReading>(join(dir, "probes.jsonl"));
      const components = stack.kind === "reference" ? stack.components : [];
      const componentUrl = (name: string) => {
        const label = name === "gateway" ? "gateway" : `provider-${name}`;
        const c = components.find((x) => x.label === label);
        return c?.url;
      };
      probes = { file, watch: new ProbeWatch(scenario.probes, { write: (r) => file.write(r), clock: () => performance.now() - events.origin, componentUrl, active: (w) => (w === "fault" ? activeFaults.size > 0 : currentPhase === w) }) };
      await probes.watch.before();
      if (interrupted()) throw options.signal!.reason;
    }
    if (scenario.export) {
      exports = await RunExports.start(scenario.export, { run: { runId, scenario: scenario.name, requestModel: scenario.traffic.model }, faultAt: (t) => activeFaults.at(t), warn: log });
      activeFaults.onChange = (name, description) => (description === undefined ? exports!.faultOff(name) : exports!.faultOn(name, description));
    }
    if (options.onHold) await holdAtStart(options.onHold, { runId, events, control, log, stop: (by) => stopEverything(events, by, (reason) => abortRun.abort(reason)) });
    const start = external?.started ? await external.started(control) : performance.now() + 50;
    activeFaults.origin = start;
    trafficStartUnixMs = Date.now() + (start - performance.now());
    // t0: when the traffic starts on the events' clock, so the report can line samples up with faults.
    events.append("traffic_start", {
      t0: Math.round((start - events.origin) * 1000) / 1000,
      arrival: describeTraffic(scenario),
      meanRatePerSec: meanRate(scenario),
      lagBudget: { p99: scenario.limits.scheduleLag.p99, max: options.maxScheduleLagMs ?? scenario.limits.scheduleLag.max },
      ...(scenario.target.reference
        ? { gateway: { profile: scenario.target.reference.gateway.profile, ...policyJson(gatewayPolicy(scenario.target.reference.gateway)) } }
        : { target: { url: scenario.target.url } }),
      ...(workers ? { workers: workers.clocks } : {}),
      ...(loadInfo ? { load: loadInfo } : {}),
    });
    if (options.gameday) events.append("gameday", {});
    const onSample = (s: Sample) => {
      recorder.record(s);
      watch.add(s);
      live.add(s);
      liveWatch?.add(s);
      exports?.onSample(s);
    };
    const onFailure = (err: HarnessError) => {
      events.append("error", { error: describeError(err) }, true);
      log(`error: ${describeError(err)}: rolling back faults, stopping traffic, stopping the stack`);
      workerFailed.abort(err);
    };
    if (external || workers) {
      traffic = external
        ? external.run({ start, signal: runSignal, onSample, onFailure })
        : workers!.run({
            start,
            signal: runSignal,
            onSample,
            onFailure,
            // The drain, and the time it takes to cancel what is still in flight and say so.
            reportTimeoutMs: scenario.phases.reduce((sum, p) => sum + p.duration, 0) + drainMs + 10_000,
          });
      // Its failure is handled through onFailure and awaited below.
      traffic.catch(() => {});
    } else traffic = runTraffic({
      baseUrl: stack.gatewayUrl,
      tenantKeys: stack.tenantKeys,
      ...(stack.apiKey !== undefined ? { apiKey: stack.apiKey } : {}),
      traffic: scenario.traffic,
      seed: scenario.seed,
      phases: scenario.phases,
      maxRequests: scenario.limits.maxRequests,
      start,
      signal: runSignal,
      onSample,
      drainMs,
      ...(prepared ? { prepared } : {}),
      ...(options.onControl ? { clock } : {}),
    });

    const faults: FaultTimelineContext = { runId, stack, kubernetes, events, signal: runSignal, active: activeFaults, until: activeFaults.until, teardown: faultTeardown, log };
    if (options.onControl) {
      // The phase controls need the clock in the process that sends: not with --workers or another load generator.
      const phasesBy = external ? "the traffic comes from another load generator (--load): its schedule is its own" : workers ? "the traffic is sent by --workers processes: a game day's phase controls need one (--workers 1)" : undefined;
      options.onControl(runControl(faults, { runId, start, events, activeFaults, live: liveWatch!, over: () => phasesOver || control.aborted, stop: (by) => stopEverything(events, by, (reason) => abortRun.abort(reason)), phase: () => currentPhase, clock, phasesBy, rates: rateBounds(scenario), log }));
    }

    let offset = 0;
    watch.start();
    probes?.watch.start();
    if (options.onProgress) progressTimer = startProgress(options.onProgress, scenario, start, clock, activeFaults, live);
    for (const phase of scenario.phases) {
      // Phase time is the clock's: a facilitator's hold, extension or advance moves what follows.
      await clock.until(start, offset, control);
      phaseStarts.push(offset);
      currentPhase = phase.name;
      exports?.phaseStart(phase.name);
      events.append("phase_start", { phase: phase.name, durationMs: phase.duration });
      log(`phase ${phase.name} (${Math.round(phase.duration / 100) / 10}s)${phase.faults.length ? `: ${phase.faults.length} fault(s)` : ""}`);
      // Each fault follows its own schedule inside the phase; all of them end by the phase end.
      await runPhaseFaults(faults, phase, { clock, start, planStart: offset }, control);
      offset += phase.duration;
      await clock.until(start, offset, control);
      events.append("phase_end", { phase: phase.name });
      exports?.phaseEnd(phase.name);
    }

    phasesOver = true;
    currentPhase = undefined;
  } catch (err) {
    if (workerFailed.signal.aborted) {
      status = "error";
      error = workerFailed.signal.reason;
    } else if (aborted()) {
      status = "aborted";
      error = abortRun.signal.reason;
    } else if (interrupted()) status = "interrupted";
    else if (crashed()) {
      status = "error";
      error = crashed();
    } else {
      status = "error";
      error = err;
      events.append("error", { error: describeError(err) }, true);
      log(`error: ${describeError(err)}`);
    }
  } finally {
    watch.stop();
    clearInterval(progressTimer);
    options.signal?.removeEventListener("abort", onInterrupt);
    // 1. Faults first, last applied first.
    try {
      await faultTeardown.run();
    } catch (err) {
      status = status === "interrupted" ? status : "error";
      error ??= err;
    }
    // 2. Traffic: stop sending; a completed run lets in-flight requests drain.
    if (status !== "completed") trafficStop.abort();
  }
  let trafficResult: TrafficResult = { scheduled: 0, completed: 0, unanswered: 0, cancelled: 0, maxScheduleLagMs: 0, scheduleLagMs: { p50: 0, p99: 0, max: 0 }, eventLoopLagMs: { p99: 0, max: 0 } };
  try {
    if (traffic) trafficResult = await traffic;
  } catch (err) {
    // The traffic failed (a worker died, a sample could not be recorded): what was recorded stays.
    if (status !== "interrupted") status = "error";
    if (!error) {
      error = err;
      if (!workerFailed.signal.aborted) events.append("error", { error: describeError(err) }, true);
    }
  } finally {
    await workers?.close();
    await options.load?.close();
  }
  if (status === "completed" && options.signal?.aborted) {
    // Aborted while the last requests drained.
    status = crashed() ? "error" : "interrupted";
    error ??= crashed();
  }
  events.append("traffic_end", { ...trafficResult });
  // The probes' last word: after the traffic, with the faults rolled back, before the stack goes.
  if (probes) {
    await probes.watch.stop();
    if (status === "completed" || status === "aborted") await probes.watch.after(trafficStartUnixMs);
    await probes.file.close();
  }
  if (exports) events.append("export_end", { exports: await exports.close() });
  // The telemetry stops before the components it scrapes do.
  if (telemetry) {
    await telemetry.watch.stop();
    await telemetry.file.close();
  }
  // 3. The stack, LIFO.
  try {
    await stackTeardown.run();
  } catch (err) {
    if (status === "completed") status = "error";
    error ??= err;
  }
  // A component that had to be SIGKILLed on the way down (stopped while starting, on a loaded
  // machine) could not remove its temp files (a provider's pods config, which holds its admin
  // token): removed now, not left for the next run to sweep.
  const leftTemp = sweepTemp();
  if (leftTemp.length > 0) events.append("sweep", { temp: leftTemp, after: "teardown" }, true);
  await recorder.close();

  // The report is read back from the files, exactly as `aire report <dir>` would rebuild it.
  const exitCode = status === "error" && isHarnessError(error) ? { exitCode: error.exitCode } : status === "aborted" ? { exitCode: 4 } : {};
  events.append("run_status", { status, ...(error ? { error: describeError(error) } : {}), ...exitCode }, true);
  const report = await buildReport(dir, { ...(options.maxScheduleLagMs === undefined ? {} : { maxScheduleLagMs: options.maxScheduleLagMs }), ...(options.baselineDir ? { baselineDir: options.baselineDir } : {}) });
  await writeReports(dir, report);
  events.append("run_end", { status: report.status, verdict: report.verdict, exitCode: report.exitCode });
  events.close();
  return { report, dir };
}

/**
 * `--workers auto`: the cores left once each busy process of the reference stack (the gateway, the
 * embedded Toxiproxy, each provider's front) has one; against a team's URL, every core but the one
 * this process needs for the timeline and the results. At least 1.
 */
export function autoWorkers(scenario: Scenario, cores = availableParallelism()): number {
  const reference = scenario.target.reference;
  const busy = reference ? 2 + reference.providers.length : 1;
  return Math.max(1, cores - busy);
}

/** The arrival process's mean rate over the run, per second; null for a closed loop (its rate is the target's). */
function meanRate(scenario: Scenario): number | null {
  const total = scenario.phases.reduce((sum, p) => sum + p.duration, 0);
  const arrival = scenario.traffic.arrival;
  if (arrival.type === "closed") return null;
  if (total === 0) return 0;
  // Tenants' own arrivals add to the shared one (the schema keeps them open-loop).
  const own = scenario.traffic.tenants.flatMap((t) => (t.arrival && t.arrival.type !== "closed" ? [t.arrival] : []));
  const expected = [arrival, ...own].reduce((sum, a) => sum + lambda(arrivalModel(a, total).segments, total), 0);
  return Math.round((expected / (total / 1000)) * 1000) / 1000;
}

/** The shared arrival process, and each tenant's own. */
function describeTraffic(scenario: Scenario): string {
  const own = scenario.traffic.tenants.filter((t) => t.arrival).map((t) => `; tenant ${t.name}: ${describeArrival(t.arrival!)}`);
  return describeArrival(scenario.traffic.arrival) + own.join("");
}

/** The cluster a `k8s-pod-kill` may reach (kubeconfig relative to the scenario file, the allow: list). */
export function kubernetesAccess(scenario: Scenario, file: string): KubernetesAccess | undefined {
  const kube = scenario.target.kubernetes;
  return kube && {
    ...(kube.kubeconfig !== undefined ? { kubeconfig: resolve(dirname(file), kube.kubeconfig) } : {}),
    ...(kube.context !== undefined ? { context: kube.context } : {}),
    allowed: (host) => hostAllowed(host, scenario.allow),
  };
}

/** Calls `onProgress` every second with the phase, the time, the active faults and the live figures. */
function startProgress(onProgress: (state: ProgressState) => void, scenario: Scenario, start: number, clock: PhaseClock, active: ReadonlyMap<string, string>, live: LiveStats): NodeJS.Timeout {
  const timer = setInterval(() => {
    const elapsed = performance.now() - start;
    const index = clock.phaseIndexAt(elapsed);
    const held = clock.heldAt(elapsed);
    // Held: the end as it would be if the phase went on now.
    const end = clock.wallEnd();
    const totalMs = Number.isFinite(end) ? end : elapsed + clock.total - clock.planAt(elapsed);
    onProgress({ phase: scenario.phases[index]!.name, phaseIndex: index + 1, phases: scenario.phases.length, elapsedMs: elapsed, totalMs, ...(held ? { held } : {}), activeFaults: [...active.values()], ...live.snapshot() });
  }, 1000);
  timer.unref();
  return timer;
}

/** Stop everything, by a facilitator: on the record, then the run ends as an abort condition ends it (exit 4). */
function stopEverything(events: EventLog, by: string, abort: (reason: Error) => void): void {
  events.append("manual_action", { action: "stop_all", by }, true);
  events.append("abort", { condition: `stop everything, by the facilitator (${by})`, observed: "by hand", requests: 0 }, true);
  abort(new AbortedRun(`aborted: stop everything, by the facilitator (${by})`));
}

/** Waits for a facilitator's Go (or the run's end: an interrupt, stop everything), on the record either way. */
async function holdAtStart(onHold: (hold: StartHold) => void, run: { runId: string; events: EventLog; control: AbortSignal; log(line: string): void; stop(by: string): void }): Promise<void> {
  const held = performance.now();
  run.events.append("hold", {}, true);
  run.log("holding at start: the target is up and warmed up; the traffic starts at a facilitator's Go");
  const by = await new Promise<string>((resolve, reject) => {
    const onAbort = () => reject(run.control.reason);
    if (run.control.aborted) return onAbort();
    run.control.addEventListener("abort", onAbort, { once: true });
    let done = false;
    onHold({
      runId: run.runId,
      go: (who) => {
        if (done || run.control.aborted) return;
        done = true;
        run.control.removeEventListener("abort", onAbort);
        resolve(who);
      },
      stop: (who) => {
        if (done || run.control.aborted) return;
        done = true;
        run.stop(who);
      },
    });
  });
  const heldMs = Math.round(performance.now() - held);
  run.events.append("manual_action", { action: "go", by, heldMs }, true);
  run.log(`go, by ${by}, after holding ${Math.round(heldMs / 100) / 10}s`);
}

/** The run's `RunControl`: manual faults through the timeline's own `applyFault`, so their rollback is the same. */
function runControl(faults: FaultTimelineContext, run: { runId: string; start: number; events: EventLog; activeFaults: FaultLedger; live: LiveWatch; over(): boolean; stop(by: string): void; phase(): string | undefined; clock: PhaseClock; phasesBy: string | undefined; rates: RateBounds; log(line: string): void }): RunControl {
  const manual = new Map<string, { revert: () => Promise<void>; description: string; since: number }>();
  let count = 0;
  const now = () => Math.round((performance.now() - run.start) * 1000) / 1000;
  const { clock } = run;
  const refuse = (message: string): never => {
    throw new HarnessError("USAGE", { message });
  };
  return {
    runId: run.runId,
    phases() {
      const at = performance.now() - run.start;
      const rates = typeof run.rates === "string" ? run.rates : undefined;
      return {
        ...(run.phasesBy ? { unavailable: run.phasesBy } : {}),
        windows: clock.windows(),
        held: clock.heldAt(at),
        open: clock.heldOpenAt(at),
        rate: clock.rateAt(at),
        ...(rates ? { rateUnavailable: rates } : { rateBounds: run.rates as { min: number; max: number } }),
      };
    },
    phase(request, by) {
      if (run.phasesBy) refuse(run.phasesBy);
      if (run.over()) refuse("the run is over or stopping");
      const at = Math.round((performance.now() - run.start) * 1000) / 1000;
      const action: PhaseAction = request.action === "extend" ? { action: "extend", at, ms: request.ms } : request.action === "rate" ? { action: "rate", at, rate: request.rate } : { action: request.action, at };
      if (action.action === "rate" && action.rate !== null) {
        if (typeof run.rates === "string") refuse(run.rates);
        const { min, max } = run.rates as { min: number; max: number };
        if (!(action.rate >= min && action.rate <= max)) refuse(`the rate must be within the scenario's bounds, ${min}/s to ${max}/s (limits.rate)`);
      }
      const why = clock.refusal(action);
      if (why) refuse(why);
      const phase = run.phase() ?? clock.phases[clock.phaseIndexAt(at)]!.name;
      // On the record first, with the exact wall time the clock takes it at: the report and the replay take it from here.
      run.events.append("manual_action", { ...action, by, phase }, true);
      clock.apply(action);
      const windows = clock.windows();
      run.events.append("phases_moved", { phases: windows, by }, true);
      run.log(`${describePhaseAction(action, phase)}, by ${by}`);
      return { at, phase, windows };
    },
    async inject(fault, by, written) {
      if (run.over()) throw new HarnessError("USAGE", { message: "the run is over or stopping: nothing injected" });
      const name = `aire-${run.runId}-manual-${++count}-${fault.kind}`;
      // As written in the form too: `aire gameday --to-scenario` writes it back into a scenario.
      run.events.append("manual_action", { action: "inject", by, fault: name, kind: fault.kind, params: fault, ...(written !== undefined ? { written } : {}), at: now() }, true);
      const revert = await applyFault(faults, run.phase() ?? "manual", fault, name);
      const description = run.activeFaults.get(name) ?? fault.kind;
      manual.set(name, { revert, description, since: now() });
      return { name, description };
    },
    async stopFault(name, by) {
      const m = manual.get(name);
      if (!m) throw new HarnessError("USAGE", { message: `no fault injected by hand is named ${name} (in place: ${[...manual.keys()].join(", ") || "none"})` });
      run.events.append("manual_action", { action: "stop", by, fault: name, at: now() }, true);
      manual.delete(name);
      await m.revert();
    },
    stopAll(by) {
      if (run.over()) return;
      run.stop(by);
    },
    note(text, kind, by) {
      const t = now();
      // Time to detect / to mitigate: from the start of the newest fault in place (or, with none in place, the newest one).
      const starts = run.activeFaults.starts();
      const since = starts.length > 0 ? Math.round((t - Math.max(...starts)) * 1000) / 1000 : null;
      run.events.append("note", { by, kind, text, at: t, sinceFaultMs: since }, true);
      return { t, sinceFaultMs: since };
    },
    manualFaults: () => [...manual.entries()].map(([name, m]) => ({ name, description: m.description, sinceMs: m.since })),
    live(all = false) {
      const ledger = run.activeFaults;
      const faults: LiveFault[] = [...ledger.entries()].map(([name, description]) => {
        const m = manual.get(name);
        // A scheduled fault ends at a plan time: held with its phase, it has no end for now.
        const until = ledger.until.get(name);
        const wall = until === undefined ? Number.POSITIVE_INFINITY : clock.wallOf(until);
        return { name, description, manual: m !== undefined, sinceMs: Math.round(ledger.since(name) ?? 0), untilMs: Number.isFinite(wall) ? Math.round(wall) : null };
      });
      return run.live.view(performance.now() - run.start, { windows: ledger.windows(), live: faults }, all);
    },
  };
}

/**
 * The faults in place (name → description, for the progress line), and each activation on the
 * samples' clock (from `origin`, the traffic's start): which faults were active when a request
 * was due. `onChange` hears each fault going on (with its description) and off.
 */
class FaultLedger extends Map<string, string> {
  origin = 0;
  /** When a scheduled fault in place is due to be rolled back (plan ms, on the phase clock). */
  readonly until = new Map<string, number>();
  onChange?: (name: string, description: string | undefined) => void;
  readonly #windows: { name: string; start: number; end: number }[] = [];

  override set(name: string, description: string): this {
    super.set(name, description);
    this.#windows.push({ name, start: performance.now() - this.origin, end: Number.POSITIVE_INFINITY });
    this.onChange?.(name, description);
    return this;
  }

  override delete(name: string): boolean {
    const had = super.delete(name);
    this.until.delete(name);
    const open = this.#windows.find((w) => w.name === name && w.end === Number.POSITIVE_INFINITY);
    if (open) open.end = performance.now() - this.origin;
    if (had) this.onChange?.(name, undefined);
    return had;
  }

  /** When each fault in place started (ms since the traffic started); with none in place, the newest that was. */
  starts(): number[] {
    const open = this.#windows.filter((w) => w.end === Number.POSITIVE_INFINITY).map((w) => w.start);
    return open.length > 0 ? open : this.#windows.slice(-1).map((w) => w.start);
  }

  /** Each activation so far (ms since the traffic started; `end` Infinity: in place). */
  windows(): readonly { name: string; start: number; end: number }[] {
    return this.#windows;
  }

  /** When the fault in place named so started (ms since the traffic started). */
  since(name: string): number | undefined {
    return this.#windows.filter((w) => w.name === name && w.end === Number.POSITIVE_INFINITY).at(-1)?.start;
  }

  /** The faults active at `t` (ms since the traffic started), by name, joined by ","; "" for none. */
  at(t: number): string {
    return this.#windows.filter((w) => t >= w.start && t < w.end).map((w) => w.name).join(",");
  }
}

/** The rates a facilitator may set (limits.rate, else the arrival's own range), or why none can be. */
type RateBounds = { min: number; max: number } | string;

function rateBounds(scenario: Scenario): RateBounds {
  const arrival = scenario.traffic.arrival;
  // A rate set by hand is flat; a replay writes it as steps, which take uniform or Poisson spacing.
  if (arrival.type === "closed") return "a closed loop has no arrival rate: its users send as the target answers";
  if (arrival.type === "ramp" || arrival.type === "gamma") return `a ${arrival.type} arrival's rate cannot be set by hand (a replay could not write it back): use constant, poisson, steps or spike`;
  const bounds = scenario.limits.rate;
  if (bounds) return bounds;
  const total = scenario.phases.reduce((sum, p) => sum + p.duration, 0);
  const rates = arrivalModel(arrival, total).segments.flatMap((s) => [s.r0, s.r1]);
  const min = Math.min(...rates);
  const max = Math.max(...rates);
  return min === max ? `traffic.arrival is a constant ${min}/s: set limits.rate (e.g. { min: 0/s, max: ${min * 2}/s }) to let a facilitator change it` : { min, max };
}

function describePhaseAction(a: PhaseAction, phase: string): string {
  switch (a.action) {
    case "hold":
      return `phase ${phase} held`;
    case "resume":
      return `phase ${phase} resumed`;
    case "extend":
      return `phase ${phase} extended by ${Math.round(a.ms / 100) / 10}s`;
    case "advance":
      return `phase ${phase} advanced: it ends now`;
    case "rate":
      return a.rate === null ? "arrival rate back to the scenario's" : `arrival rate set to ${a.rate}/s`;
  }
}
