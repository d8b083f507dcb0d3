/**
 * Scrapes metrics endpoints every second while the traffic runs (Prometheus text): the reference
 * stack's gateway and provider fronts, keeping the series results/telemetry.ts names, or a url
 * target's own endpoints with the metrics its scenario keeps; and hands each scrape on as a
 * telemetry line. A component that does not answer within the interval is a
 * line with its error, never a failure of the run; a scrape still in flight is not started again.
 * @module
 */
import { request } from "undici";
import { parseExposition, seriesKey } from "../metrics/exposition.js";
import { keptMetric, type TelemetryLine } from "../results/telemetry.js";

export interface TelemetryTarget {
  component: string;
  /** The metrics endpoint. */
  url: string;
  /** The metrics kept (default: the reference stack's, results/telemetry.ts). */
  keep?: (name: string) => boolean;
}

/** A keep list of names with `*` for any characters (a url target's `metrics[].keep`) as a test. */
export function keepOf(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const globs = patterns.filter((p) => p.includes("*")).map((p) => new RegExp(`^${p.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
  return (name) => exact.has(name) || globs.some((g) => g.test(name));
}

export interface TelemetryWatch {
  /** Stops the timer, waits for the scrapes in flight (each bounded by the interval) and scrapes once more. */
  stop(): Promise<void>;
}

/** One scrape of one component, as a line (its error when it did not answer). */
export async function scrape(target: TelemetryTarget, at: number, timeoutMs: number): Promise<TelemetryLine> {
  try {
    const res = await request(target.url, { method: "GET", headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { t: at, component: target.component, error: `HTTP ${res.statusCode}` };
    }
    const values: Record<string, number> = {};
    for (const s of parseExposition(await res.body.text(), target.keep ?? keptMetric)) values[seriesKey(s.name, s.labels)] = s.value;
    return { t: at, component: target.component, values };
  } catch (err) {
    return { t: at, component: target.component, error: (err as Error).message };
  }
}

/** Scrapes `targets` now and then every `intervalMs`; `clock` is the events' time of a scrape. */
export function watchTelemetry(targets: readonly TelemetryTarget[], write: (line: TelemetryLine) => void, clock: () => number, intervalMs = 1000): TelemetryWatch {
  const inFlight = new Map<string, Promise<void>>();
  const tick = () => {
    const at = Math.round(clock());
    for (const target of targets) {
      if (inFlight.has(target.component)) continue;
      const done = scrape(target, at, intervalMs).then((line) => {
        write(line);
        inFlight.delete(target.component);
      });
      inFlight.set(target.component, done);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight.values());
      // A last scrape, so the counters cover the traffic's end.
      tick();
      await Promise.all(inFlight.values());
    },
  };
}
