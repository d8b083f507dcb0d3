/**
 * `summary.json`, the canonical result of a run (schemaVersion 2, reports/summary.schema.json).
 * Every other output is derived from it.
 * @module
 */
import type { HypothesisResult, Verdict } from "../slo/score.js";
import type { WindowStats } from "../metrics/window-stats.js";
import type { SecondSummary } from "../metrics/time-series.js";
import type { TelemetrySummary } from "./telemetry.js";
import type { ProbeSummary } from "./probes.js";
import type { ExportResult } from "./export/index.js";

/**
 * completed: ran to the end · interrupted: SIGINT/SIGTERM · error: the harness or the target could
 * not run · aborted: an abort condition stopped it · incomplete: the files end mid-run (killed).
 */
export type RunStatus = "completed" | "interrupted" | "error" | "aborted" | "incomplete";

/** The version of summary.json's shape (reports/summary.schema.json). */
export const SCHEMA_VERSION = 2;

/** A line of the report's event log: ms since the traffic started. */
export interface RunEvent {
  t: number;
  type: string;
  detail: string;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface WindowSummary {
  requests: number;
  ok: number;
  availability: number | null;
  errorRate: number | null;
  errors: Record<string, number>;
  ttfb: LatencySummary;
  ttft: LatencySummary;
  tpot: LatencySummary;
  e2e: LatencySummary;
  /** Every gap between content chunks, pooled. */
  itl: LatencySummary;
  /** The largest gap of each request. */
  maxStall: LatencySummary;
  /** e2e of every request, failed ones included: how long users waited for an answer or an error. */
  e2eAny: LatencySummary;
  outputTokens: number;
  promptTokens: number;
  /** Logical requests served (last attempt) per provider. */
  providers: Record<string, number>;
  /** Upstream attempts per logical request, from the gateway's x-aire-attempts header. */
  attemptsPerRequest: number | null;
  /** Client attempts per logical request (its own retries), 1 without retries. */
  clientAttemptsPerRequest: number | null;
  /** Requests the user abandoned (no first token within client.abandonAfterTtft). */
  abandoned: number;
  /** USD from the scenario's prices; `unpriced` counts answered requests whose model has no price. */
  cost: { total: number; per1kRequests: number | null; unpriced: number };
}

export interface PhaseSummary extends WindowSummary {
  name: string;
  startMs: number;
  durationMs: number;
  faults: string[];
  /** The same figures per workload of the mix. */
  workloads: Record<string, WindowSummary>;
  /** And per tenant (empty without tenants). */
  tenants: Record<string, WindowSummary>;
}

export interface RunReport {
  schemaVersion: typeof SCHEMA_VERSION;
  runId: string;
  scenario: { name: string; file: string; description: string; seed: number; sha256: string; set: string[]; timeScale: number };
  status: RunStatus;
  /** PASS only if every hypothesis passed; a run that did not complete never passes. */
  verdict: Verdict | "INTERRUPTED" | "ERROR" | "ABORTED" | "INCOMPLETE" | "NO_HYPOTHESES";
  exitCode: number;
  startedAt: string;
  endedAt: string;
  error?: string;
  /** The bundled stack (its gateway policy and processes) or a team's own gateway (`url`). */
  target: { kind: "reference" | "url"; url?: string; gateway: Record<string, unknown>; components: { label: string; pid: number; url: string }[] };
  traffic: { arrival: string; ratePerSec: number | null; /** Generator processes (`--workers`), when more than one sent the traffic. */ workers?: number; scheduled: number; completed: number; unanswered: number; cancelled: number; dropped?: number; lagMeasured?: boolean; maxScheduleLagMs: number; scheduleLagMs: { p50: number; p99: number; max: number }; eventLoopLagMs: { p99: number; max: number }; valid: boolean; invalidReason?: string };
  phases: PhaseSummary[];
  total: WindowSummary & { workloads: Record<string, WindowSummary>; tenants: Record<string, WindowSummary> };
  /** When phases and faults were, in ms since the traffic started (the samples' clock). */
  timeline: {
    phases: { name: string; start: number; end: number }[];
    faults: { name: string; phase: string; description: string; start: number; end: number | null }[];
    end: number;
    lastSampleMs: number;
  };
  /** One entry per second of traffic, by intended send time. */
  timeSeries: SecondSummary[];
  /** What the reference stack's components said about themselves each second (telemetry.jsonl), by phase. */
  telemetry?: TelemetrySummary;
  /** The scenario's probes (probes.jsonl): how often each was read, and what it said. */
  probes?: ProbeSummary[];
  /** The exports the scenario asked for (`export:`): what each receiver took, and what it refused. */
  exports?: ExportResult[];
  hypotheses: HypothesisResult[];
  /** Phase changes, faults, aborts and errors, in order. */
  events: RunEvent[];
  /** Lines of events.jsonl or samples.jsonl that could not be read (a run killed mid-write). */
  unreadableLines?: number;
  /** The stored run relative thresholds were compared with (`aire run/report --baseline DIR`). */
  baselineRun?: { runId: string; dir: string };
}

export function summarizeWindow(stats: WindowStats): WindowSummary {
  const latency = (h: WindowStats["latency"]["ttft"]): LatencySummary => ({
    count: h.count,
    p50: r(h.stat("p50")),
    p90: r(h.stat("p90")),
    p95: r(h.stat("p95")),
    p99: r(h.stat("p99")),
    max: r(h.stat("max")),
  });
  return {
    requests: stats.total,
    ok: stats.ok,
    availability: stats.availability ?? null,
    errorRate: stats.errorRate() ?? null,
    errors: Object.fromEntries(stats.errors),
    ttfb: latency(stats.latency.ttfb),
    ttft: latency(stats.latency.ttft),
    tpot: latency(stats.latency.tpot),
    e2e: latency(stats.latency.e2e),
    itl: latency(stats.latency.itl),
    maxStall: latency(stats.latency.max_stall),
    e2eAny: latency(stats.latency.e2e_any),
    outputTokens: stats.outputTokens,
    promptTokens: stats.promptTokens,
    providers: Object.fromEntries(stats.providers),
    attemptsPerRequest: perRequest(stats.attempts, stats.total),
    clientAttemptsPerRequest: perRequest(stats.clientAttempts, stats.total),
    abandoned: stats.abandoned,
    cost: { total: Math.round(stats.cost * 1e6) / 1e6, per1kRequests: stats.total === 0 ? null : Math.round((stats.cost / stats.total) * 1000 * 1e6) / 1e6, unpriced: stats.unpriced },
  };
}

/** Summaries of a map of windows (workloads), by name. */
export function summarizeWindows(windows: ReadonlyMap<string, WindowStats> | undefined): Record<string, WindowSummary> {
  return Object.fromEntries([...(windows ?? new Map<string, WindowStats>())].map(([name, stats]) => [name, summarizeWindow(stats)]));
}

const perRequest = (n: number, total: number) => (total === 0 ? null : Math.round((n / total) * 1000) / 1000);

const r = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10) / 10);
