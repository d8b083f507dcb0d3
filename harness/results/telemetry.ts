/**
 * What the system said about itself (issue 21): the reference stack's gateway and provider fronts
 * scraped each second from their `/metrics` into `telemetry.jsonl` — breakers, retries, attempts,
 * in flight and queued, shed requests, 429s, injected errors, busy slots and waiting requests —
 * and summarized per phase for the report, beside what the client saw. The verdicts stay the
 * client's; this says whether the breaker really opened and the queue really filled.
 * @module
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";

/** One scrape of one component: `t` on the events' clock (ms since the run started). */
export interface TelemetryLine {
  t: number;
  component: string;
  /** Series (`name{label="v"}`) and their values; absent when the scrape failed. */
  values?: Record<string, number>;
  error?: string;
}

/** The metrics kept from each scrape: the gateway's policy metrics and the providers' load. */
const KEPT = new Set([
  "aire_gateway_breaker_state",
  "aire_gateway_in_flight",
  "aire_gateway_queued",
  "aire_gateway_upstream_in_flight",
  "aire_gateway_upstream_attempts_total",
  "aire_gateway_retries_total",
  "aire_gateway_retry_budget_exhausted_total",
  "aire_gateway_shed_total",
  "aire_gateway_rate_limited_total",
  "aire_gateway_stream_errors_total",
  "aire_gateway_breaker_transitions_total",
  "vllm:num_requests_running",
  "vllm:num_requests_waiting",
  "aire_provider_slots",
  "aire_provider_pods_ready",
  "aire_provider_requests_total",
  "aire_provider_rate_limited_total",
  "aire_provider_injected_errors_total",
  "nodejs_eventloop_lag_p99_seconds",
  "nodejs_eventloop_lag_max_seconds",
]);

/** Whether a scrape keeps this metric. */
export const keptMetric = (name: string): boolean => KEPT.has(name);

/**
 * Cumulative series add up: a counter (Prometheus' `_total` suffix) and a histogram's or a
 * summary's `_count`, `_sum` and `_bucket`; anything else is a gauge, a level at each scrape.
 */
export const isCounter = (key: string): boolean => /_(total|count|sum|bucket)(\{|$)/.test(key);

/** The series charted over time in the report: breaker states, and the queues in front of the providers. */
export const chartedSeries = (key: string): boolean => /^(aire_gateway_breaker_state|aire_gateway_in_flight|aire_gateway_queued|vllm:num_requests_waiting|vllm:num_requests_running)(\{|$)/.test(key);

/** Lines appended to a JSONL file of the results (telemetry.jsonl, probes.jsonl) as they come. */
export class JsonlFile<T> {
  readonly #out: WriteStream;

  constructor(path: string) {
    this.#out = createWriteStream(path, { flags: "a" });
  }

  write(line: T): void {
    this.#out.write(`${JSON.stringify(line)}\n`);
  }

  async close(): Promise<void> {
    this.#out.end();
    await once(this.#out, "close");
  }
}

export class TelemetryFile extends JsonlFile<TelemetryLine> {}

/** A second in which a component's event loop lagged past the budget: `at` (samples' clock) ends it. */
export interface StarvedSecond {
  component: string;
  at: number;
  lagMs: number;
  /** The phases the second overlaps. */
  phases: string[];
}

/**
 * The seconds in which a reference-stack process was starved: its `nodejs_eventloop_lag_max_seconds`
 * (prom-client's, reset at each scrape, so each scrape covers the second before it) above
 * `budgetMs`. The worst stall, not a percentile: a process frozen for a second delays its timer
 * once, one sample among a thousand, which a p99 never shows. A synthetic provider or the reference gateway that could not run on time measured
 * the machine, not the design it simulates. Only seconds that overlap a phase count.
 */
export function starvedSeconds(lines: readonly TelemetryLine[], budgetMs: number, phases: readonly { name: string; start: number; end: number }[], rel: (t: number) => number): StarvedSecond[] {
  const out: StarvedSecond[] = [];
  for (const line of lines) {
    const lag = line.values?.["nodejs_eventloop_lag_max_seconds"];
    if (lag === undefined || !(lag * 1000 > budgetMs)) continue;
    const at = Math.round(rel(line.t));
    const overlapped = phases.filter((p) => p.start < at && at - 1000 < p.end).map((p) => p.name);
    // The first scrape covers the process's start-up (loading, compiling), before any phase.
    if (overlapped.length > 0) out.push({ component: line.component, at, lagMs: Math.round(lag * 1000), phases: overlapped });
  }
  return out;
}

export interface TelemetrySummary {
  /** The components scraped, in the order first seen. */
  components: string[];
  scrapes: number;
  /** Scrapes that got no answer (the first error of each component is in `errors`). */
  failures: number;
  errors: Record<string, string>;
  /**
   * Per phase, per component, per series: a gauge's highest level in the phase, a counter's
   * increase over it (a reset, as a restarted pod's, counts from 0 as Prometheus' increase() does).
   */
  phases: Record<string, Record<string, Record<string, number>>>;
  /** Per phase, per component, each gauge's lowest level in the phase (pods ready at the worst moment). */
  lows: Record<string, Record<string, Record<string, number>>>;
  /** The charted series, every scrape: [ms on the samples' clock, value]. */
  series: { component: string; key: string; points: [number, number][] }[];
  /** With the reference stack: the event-loop lag budget (limits.stackLag), and the seconds past it. */
  starvation?: { budgetMs: number; seconds: StarvedSecond[] };
}

/**
 * The per-phase figures and the charted series of a run's telemetry lines. `phases` are on the
 * samples' clock, and `rel` turns a line's time (the events' clock) into it.
 */
export function summarizeTelemetry(lines: readonly TelemetryLine[], phases: readonly { name: string; start: number; end: number }[], rel: (t: number) => number): TelemetrySummary {
  const components: string[] = [];
  const errors: Record<string, string> = {};
  let failures = 0;
  const byComponent = new Map<string, { at: number; values: Record<string, number> }[]>();
  for (const line of lines) {
    if (!components.includes(line.component)) components.push(line.component);
    if (!line.values) {
      failures++;
      errors[line.component] ??= line.error ?? "no answer";
      continue;
    }
    const list = byComponent.get(line.component) ?? [];
    list.push({ at: rel(line.t), values: line.values });
    byComponent.set(line.component, list);
  }
  const summary: TelemetrySummary = { components, scrapes: lines.length, failures, errors, phases: {}, lows: {}, series: [] };
  for (const phase of phases) {
    const perComponent: Record<string, Record<string, number>> = {};
    const lowsPerComponent: Record<string, Record<string, number>> = {};
    for (const [component, scrapes] of byComponent) {
      const figures: Record<string, number> = {};
      const lows: Record<string, number> = {};
      let previous = scrapes.filter((s) => s.at < phase.start).at(-1);
      for (const scrape of scrapes.filter((s) => s.at >= phase.start && s.at < phase.end)) {
        for (const [key, value] of Object.entries(scrape.values)) {
          if (!Number.isFinite(value)) continue;
          if (isCounter(key)) {
            // A series absent from the scrape before had not counted anything yet (prom-client
            // shows a labelled counter from its first increment); without a scrape before, the
            // phase's first one is the baseline.
            const before = previous ? (previous.values[key] ?? 0) : undefined;
            const delta = before === undefined ? 0 : value >= before ? value - before : value;
            figures[key] = (figures[key] ?? 0) + delta;
          } else {
            figures[key] = Math.max(figures[key] ?? Number.NEGATIVE_INFINITY, value);
            lows[key] = Math.min(lows[key] ?? Number.POSITIVE_INFINITY, value);
          }
        }
        previous = scrape;
      }
      const rounded = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 1e6) / 1e6]));
      perComponent[component] = rounded(figures);
      lowsPerComponent[component] = rounded(lows);
    }
    summary.phases[phase.name] = perComponent;
    summary.lows[phase.name] = lowsPerComponent;
  }
  for (const [component, scrapes] of byComponent) {
    const keys = [...new Set(scrapes.flatMap((s) => Object.keys(s.values)))].filter(chartedSeries).sort();
    for (const key of keys) summary.series.push({ component, key, points: scrapes.filter((s) => s.values[key] !== undefined).map((s) => [Math.round(s.at), s.values[key]!]) });
  }
  return summary;
}
