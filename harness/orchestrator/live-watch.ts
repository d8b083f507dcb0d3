/**
 * The run as the game-day console shows it, once a second: the second-by-second series
 * (results/live-series.ts), each hypothesis's standing (slo/live-standing.ts), the generator's
 * health against its lag budget, the faults in place with the time they have left, and each
 * watched component's health from its last scrape. Kept only for a game day (it costs a few
 * histograms a second).
 * @module
 */
import type { Sample } from "../metrics/sample.js";
import { LiveSeries, type LivePoint } from "../results/live-series.js";
import type { TelemetryLine } from "../results/telemetry.js";
import type { Scenario } from "../scenario/schema.js";
import { LiveStanding, type HypothesisStanding } from "../slo/live-standing.js";

export interface LiveFault {
  name: string;
  description: string;
  /** Injected from the console (no planned end: it lasts until stopped). */
  manual: boolean;
  /** ms since the traffic started. */
  sinceMs: number;
  /** When its schedule rolls it back, ms since the traffic started; null: not planned. */
  untilMs: number | null;
}

export interface ComponentHealth {
  name: string;
  /** Its last scrape answered, within the last 3 s. */
  up: boolean;
  /** Why not. */
  error?: string;
  /** Since its last scrape, ms. */
  ageMs: number;
  /** What its metrics say, shortly: breakers open, in flight and queued, pods ready. */
  headline: string;
}

export interface LiveView {
  /** ms since the traffic started. */
  nowMs: number;
  points: LivePoint[];
  standings: HypothesisStanding[];
  generator: {
    lagP99: number | null;
    lagMax: number | null;
    requests: number;
    budget: { p99: number; max: number };
    /** Set when the lag so far is over its budget: the run would be INVALID if it ended now. */
    warning: string | null;
  };
  faults: LiveFault[];
  /** Every fault activation so far, ms since the traffic started (`end` null: in place). */
  faultWindows: { start: number; end: number | null }[];
  components: ComponentHealth[];
}

const BREAKER = ["closed", "half-open", "open"];

/** Fault windows as the console and the standings take them: whole ms, `end` null while in place. */
function spans(windows: readonly { start: number; end: number }[]): { start: number; end: number | null }[] {
  return windows.map((w) => ({ start: Math.round(w.start), end: Number.isFinite(w.end) ? Math.round(w.end) : null }));
}

/** A component's few telling figures, from the series the telemetry keeps. */
export function headline(values: Record<string, number>): string {
  const parts: string[] = [];
  const sum = (name: string) => {
    let total: number | undefined;
    for (const [k, v] of Object.entries(values)) if (k === name || k.startsWith(`${name}{`)) total = (total ?? 0) + v;
    return total;
  };
  const breakers = Object.entries(values).filter(([k, v]) => k.startsWith("aire_gateway_breaker_state{") && v > 0);
  if (Object.keys(values).some((k) => k.startsWith("aire_gateway_breaker_state"))) parts.push(breakers.length === 0 ? "breakers closed" : breakers.map(([k, v]) => `${/provider="([^"]*)"/.exec(k)?.[1] ?? "?"} ${BREAKER[v] ?? v}`).join(", "));
  for (const [name, label] of [["aire_gateway_in_flight", "in flight"], ["aire_gateway_queued", "queued"], ["vllm:num_requests_running", "running"], ["vllm:num_requests_waiting", "waiting"], ["aire_provider_pods_ready", "pods ready"]] as const) {
    const v = sum(name);
    if (v !== undefined) parts.push(`${label} ${v}`);
  }
  return parts.join(" · ");
}

export class LiveWatch {
  readonly series = new LiveSeries();
  readonly #standing: LiveStanding;
  #phases: { name: string; start: number; end: number }[];
  readonly #components = new Map<string, { line: TelemetryLine; at: number }>();

  constructor(scenario: Scenario, readonly budget: { p99: number; max: number }) {
    let offset = 0;
    this.#phases = scenario.phases.map((p) => ({ name: p.name, start: offset, end: (offset += p.duration) }));
    const baseline = scenario.phases.find((p) => p.name === "baseline")?.name ?? scenario.phases[0]?.name;
    this.#standing = new LiveStanding(scenario.hypotheses, baseline);
  }

  /** The phases where the run's clock has them (`end` null: held), after a facilitator moved them. */
  set phases(windows: readonly { name: string; start: number; end: number | null }[]) {
    this.#phases = windows.map((w) => ({ name: w.name, start: w.start, end: w.end ?? Number.POSITIVE_INFINITY }));
  }

  /** The faults' spans so far, ms since the traffic started (`end` Infinity: in place): set by the run. */
  faults: () => readonly { start: number; end: number }[] = () => [];

  add(sample: Sample): void {
    this.series.add(sample);
    this.#standing.add(sample, spans(this.faults()));
  }

  /** A scrape of a component (performance.now() when it came). */
  telemetry(line: TelemetryLine, at = performance.now()): void {
    this.#components.set(line.component, { line, at });
  }

  /** The view at `nowMs` (ms since the traffic started); `all`: every second so far (a console that just connected), else the recent ones. */
  view(nowMs: number, faults: { windows: readonly { start: number; end: number }[]; live: LiveFault[] }, all = false): LiveView {
    const lag = this.series.lag();
    const warning =
      lag.p99 !== null && lag.p99 > this.budget.p99
        ? `schedule lag p99 ${lag.p99} ms is over its budget of ${this.budget.p99} ms: the run is INVALID if it stays so`
        : lag.max !== null && lag.max > this.budget.max
          ? `the generator fell ${lag.max} ms behind its schedule (budget ${this.budget.max} ms): the run is INVALID`
          : null;
    const now = performance.now();
    const windows = spans(faults.windows);
    return {
      nowMs: Math.round(nowMs),
      points: all ? this.series.all(nowMs) : this.series.recent(nowMs),
      standings: this.#standing.standings({ phases: this.#phases, faults: windows, now: nowMs }),
      generator: { lagP99: lag.p99, lagMax: lag.max, requests: lag.requests, budget: this.budget, warning },
      faults: faults.live,
      faultWindows: windows,
      // By name, so that a line stays where it was whichever component answered first.
      components: [...this.#components.values()].sort((a, b) => a.line.component.localeCompare(b.line.component)).map(({ line, at }) => {
        const ageMs = Math.round(now - at);
        const up = line.error === undefined && ageMs < 3000;
        return { name: line.component, up, ...(line.error !== undefined ? { error: line.error } : !up ? { error: `no answer for ${Math.round(ageMs / 1000)} s` } : {}), ageMs, headline: line.values ? headline(line.values) : "" };
      }),
    };
  }
}
