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

/** Which requests of the window an assertion is about: one tenant's, or one workload's. */
export interface Scope {
  tenant?: string;
  workload?: string;
}

export type Assertion =
  | { text: string; kind: "latency"; metric: LatencyMetric; stat: Stat; op: Operator; threshold: number /* ms */; scope?: Scope }
  | { text: string; kind: "ratio"; metric: RatioMetric; errorClass?: ErrorClass; op: Operator; threshold: number /* 0..1 */; scope?: Scope };

const pattern = /^\s*([a-z_][a-z0-9_]*)(?:\.([a-z0-9]+))?(?:\{([^}]*)\})?\s*(<=|>=|==|<|>)\s*(\S+)\s*$/;

const timeUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Parses one assertion, returning a readable message instead of throwing. */
export function parseAssertion(text: string): Parsed<Assertion> {
  const m = pattern.exec(text);
  if (!m) return fail(`cannot read assertion "${text}": expected <metric>[.<stat>][{filter}] <op> <value>, e.g. "ttft.p95 < 800ms"`);
  const [, metric = "", stat, filter, op = "", value = ""] = m;
  const filters = parseFilters(filter);
  if (!filters.ok) return filters;
  const { class: cls, tenant, workload, ...unknown } = filters.value;
  const unknownKey = Object.keys(unknown)[0];
  if (unknownKey !== undefined) return fail(`unknown filter "${unknownKey}" (filters: tenant, workload, and class for error_rate)`);
  if (tenant !== undefined && workload !== undefined) return fail("filter by tenant or by workload, not both");
  const scope: Scope | undefined = tenant !== undefined ? { tenant } : workload !== undefined ? { workload } : undefined;
  if (isOneOf(latencyMetrics, metric)) {
    if (!stat) return fail(`"${metric}" needs a statistic, e.g. ${metric}.p95 (one of ${stats.join(", ")})`);
    if (!isOneOf(stats, stat)) return fail(`unknown statistic "${stat}" (one of ${stats.join(", ")})`);
    if (cls !== undefined) return fail(`the class filter is for error_rate, not ${metric}`);
    const t = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
    if (!t) return fail(`"${value}" is not a duration: ${metric} thresholds need a unit, e.g. 800ms or 1.5s`);
    return { ok: true, value: { text: text.trim(), kind: "latency", metric, stat, op: op as Operator, threshold: Number(t[1]) * timeUnits[t[2]!]!, ...(scope ? { scope } : {}) } };
  }
  if (isOneOf(ratioMetrics, metric)) {
    if (stat) return fail(`"${metric}" is a ratio and takes no statistic (write "${metric} ${op} ${value}")`);
    let errorClass: ErrorClass | undefined;
    if (cls !== undefined) {
      if (metric !== "error_rate") return fail(`the class filter is for error_rate, not ${metric}`);
      if (!isOneOf(errorClasses, cls)) return fail(`unknown error class "${cls}" (one of ${errorClasses.join(", ")})`);
      errorClass = cls;
    }
    const threshold = parseRatio(value);
    if (threshold === undefined) return fail(`"${value}" is not a ratio: write a percentage such as 99.5% or a fraction from 0 to 1`);
    return { ok: true, value: { text: text.trim(), kind: "ratio", metric, ...(errorClass ? { errorClass } : {}), op: op as Operator, threshold, ...(scope ? { scope } : {}) } };
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

/** `{k=v, k=v}` → { k: v }; undefined filter → {}. */
function parseFilters(filter: string | undefined): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  if (filter === undefined) return { ok: true, value: out };
  for (const part of filter.split(",")) {
    const f = /^\s*([a-z_]+)\s*=\s*([A-Za-z0-9_.-]+)\s*$/.exec(part);
    if (!f) return fail(`cannot read filter "${part.trim()}": write {key=value}, e.g. {tenant=acme} or {class=http_429}`);
    if (f[1]! in out) return fail(`filter "${f[1]}" is given twice`);
    out[f[1]!] = f[2]!;
  }
  return { ok: true, value: out };
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
