/**
 * Units on durations (`250ms`, `20s`, `2m`, `1h`) and rates (`20/s`, `600/m`), parsed strictly:
 * a bare number is an error, because "timeout: 30" means nobody knows what.
 * @module
 */

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const rateUnits: Record<string, number> = { s: 1, m: 1 / 60, h: 1 / 3600 };

const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;
const ratePattern = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)\s*$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses a duration such as `800ms` or `1.5s` into milliseconds. */
export function parseDuration(input: unknown): Parsed<number> {
  if (typeof input === "number") {
    return { ok: false, message: `duration ${input} needs a unit: write ${input}ms or ${input}s (units: ms, s, m, h)` };
  }
  if (typeof input !== "string") return { ok: false, message: "expected a duration such as 800ms, 20s or 2m" };
  const match = durationPattern.exec(input);
  if (!match) return { ok: false, message: `"${input}" is not a duration: expected a number and a unit (ms, s, m, h), e.g. 800ms` };
  return { ok: true, value: Number(match[1]) * durationUnits[match[2]!]! };
}

/** Parses a rate such as `20/s` or `600/m` into events per second. */
export function parseRate(input: unknown): Parsed<number> {
  if (typeof input === "number") {
    return { ok: false, message: `rate ${input} needs a unit: write ${input}/s or ${input}/m` };
  }
  if (typeof input !== "string") return { ok: false, message: "expected a rate such as 20/s or 600/m" };
  const match = ratePattern.exec(input);
  if (!match) return { ok: false, message: `"${input}" is not a rate: expected a number, a slash and a unit (s, m, h), e.g. 20/s` };
  return { ok: true, value: Number(match[1]) * rateUnits[match[2]!]! };
}

/** Formats milliseconds the way people write them: `850ms`, `1.5s`, `2m30s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) < 1000) return `${round(ms, ms < 10 ? 2 : ms < 100 ? 1 : 0)}ms`;
  if (Math.abs(ms) < 60_000) return `${round(ms / 1000, 2)}s`;
  if (Math.abs(ms) >= 3_600_000) {
    const hours = Math.floor(ms / 3_600_000);
    const rest = Math.round((ms - hours * 3_600_000) / 60_000);
    return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
  }
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
