/**
 * The assertion language: `ttft.p95 < 800ms`, `availability >= 99.5%`, `error_rate{class=http_429} < 1%`.
 * Parsed by hand into a small AST (never evaluated as code), and type-checked: latency metrics need a
 * percentile and a time unit, ratio metrics a percentage or a fraction.
 * @module
 */
import type { Parsed } from "../units.js";

export const latencyMetrics = ["ttft", "ttfb", "e2e", "tpot", "itl", "max_stall"] as const;
export const ratioMetrics = ["availability", "error_rate"] as const;
export const errorClasses = ["http_4xx", "http_429", "http_5xx", "timeout", "connect", "reset", "truncated", "malformed", "quality"] as const;
export const stats = ["p50", "p75", "p90", "p95", "p99", "p999", "mean", "min", "max"] as const;
export const operators = ["<", "<=", ">", ">=", "=="] as const;

export type LatencyMetric = (typeof latencyMetrics)[number];
export type RatioMetric = (typeof ratioMetrics)[number];
export type ErrorClass = (typeof errorClasses)[number];
export type Stat = (typeof stats)[number];
export type Operator = (typeof operators)[number];

export type Assertion =
  | { text: string; kind: "latency"; metric: LatencyMetric; stat: Stat; op: Operator; threshold: number /* ms */ }
  | { text: string; kind: "ratio"; metric: RatioMetric; errorClass?: ErrorClass; op: Operator; threshold: number /* 0..1 */ };

const pattern = /^\s*([a-z_][a-z0-9_]*)(?:\.([a-z0-9]+))?(?:\{([^}]*)\})?\s*(<=|>=|==|<|>)\s*(\S+)\s*$/;

const timeUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Parses one assertion, returning a readable message instead of throwing. */
export function parseAssertion(text: string): Parsed<Assertion> {
  const m = pattern.exec(text);
  if (!m) return fail(`cannot read assertion "${text}": expected <metric>[.<stat>][{filter}] <op> <value>, e.g. "ttft.p95 < 800ms"`);
  const [, metric = "", stat, filter, op = "", value = ""] = m;
  if (isOneOf(latencyMetrics, metric)) {
    if (!stat) return fail(`"${metric}" needs a statistic, e.g. ${metric}.p95 (one of ${stats.join(", ")})`);
    if (!isOneOf(stats, stat)) return fail(`unknown statistic "${stat}" (one of ${stats.join(", ")})`);
    if (filter !== undefined) return fail(`filters on "${metric}" are not supported yet`);
    const t = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
    if (!t) return fail(`"${value}" is not a duration: ${metric} thresholds need a unit, e.g. 800ms or 1.5s`);
    return { ok: true, value: { text: text.trim(), kind: "latency", metric, stat, op: op as Operator, threshold: Number(t[1]) * timeUnits[t[2]!]! } };
  }
  if (isOneOf(ratioMetrics, metric)) {
    if (stat) return fail(`"${metric}" is a ratio and takes no statistic (write "${metric} ${op} ${value}")`);
    let errorClass: ErrorClass | undefined;
    if (filter !== undefined) {
      const f = /^\s*class\s*=\s*([a-z0-9_]+)\s*$/.exec(filter);
      if (metric !== "error_rate" || !f) return fail(`only error_rate takes a filter, of the form {class=<class>}`);
      if (!isOneOf(errorClasses, f[1]!)) return fail(`unknown error class "${f[1]}" (one of ${errorClasses.join(", ")})`);
      errorClass = f[1];
    }
    const threshold = parseRatio(value);
    if (threshold === undefined) return fail(`"${value}" is not a ratio: write a percentage such as 99.5% or a fraction from 0 to 1`);
    return { ok: true, value: { text: text.trim(), kind: "ratio", metric, ...(errorClass ? { errorClass } : {}), op: op as Operator, threshold } };
  }
  return fail(`unknown metric "${metric}" (known: ${[...latencyMetrics, ...ratioMetrics].join(", ")})`);
}

/** True when `observed op threshold` holds. */
export function compare(observed: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case "<": return observed < threshold;
    case "<=": return observed <= threshold;
    case ">": return observed > threshold;
    case ">=": return observed >= threshold;
    case "==": return observed === threshold;
  }
}

function parseRatio(value: string): number | undefined {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(value);
  const n = pct ? Number(pct[1]) / 100 : /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
