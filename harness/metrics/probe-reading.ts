/**
 * One reading of a probe (issue 21): what the system said about itself when asked — an HTTP
 * check's outcome, a PromQL query's result, a series scraped from a metrics endpoint. Written to
 * `probes.jsonl` as it is taken, read back by the scoring (slo/) like samples are.
 * @module
 */

/** When the reading was taken: before the traffic, after it, or on the probe's interval while it ran. */
export type ReadingMoment = "before" | "after" | "during";

/** One series of a reading: its labels (a metrics or PromQL series; none for an HTTP check) and its value. */
export interface ReadingSeries {
  labels: Record<string, string>;
  value: number;
}

export interface ProbeReading {
  probe: string;
  /** Events' clock (ms since the run started) in probes.jsonl; the samples' clock (ms since the traffic started) once read back. */
  t: number;
  moment: ReadingMoment;
  /** The values read; absent when the probe could not be read (`error`). */
  series?: ReadingSeries[];
  /** Why the probe could not be read: unreachable, timed out, not the answer's shape. Never a verdict on the system. */
  error?: string;
  /** What an HTTP check saw: its status and latency, and which of its expectations failed. */
  status?: number;
  latencyMs?: number;
  failed?: string;
}

/** The series of a reading whose labels include every label given. */
export function selectSeries(reading: ProbeReading, labels: Readonly<Record<string, string>> | undefined): ReadingSeries[] {
  const series = reading.series ?? [];
  if (!labels) return series;
  const wanted = Object.entries(labels);
  return series.filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
}

/** A reading's value for a label filter: the sum of the series it selects (null: none selected). */
export function readingValue(reading: ProbeReading, labels: Readonly<Record<string, string>> | undefined): number | null {
  const selected = selectSeries(reading, labels);
  if (selected.length === 0) return null;
  return selected.reduce((sum, s) => sum + s.value, 0);
}
