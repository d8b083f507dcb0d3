/**
 * The assertion language, parsed by hand into a small AST (never evaluated as code) and
 * type-checked: each metric takes the threshold unit it is measured in.
 *
 *   ttft.p95 < 800ms                     error_rate{class=http_429} < 1%
 *   availability{tenant=acme} >= 99.5%   goodput(ttft < 1s, tpot < 50ms) >= 95%
 *   retry_amplification < 1.5            ttft.p95 <= 1.2 * baseline
 *   cost.per_1k_requests < $2            throughput >= 20/s
 *   burn_rate(slo: 99.9%, window: 5m) < 14.4
 *   recovery_time(ttft.p95 <= 1.2 * baseline) < 30s
 *   time_to_detect < 10s                 time_to_detect(error_rate > 5%) < 10s
 *
 * Filters `{tenant=…, workload=…, provider=…}` (and `class=…` for error_rate) narrow any
 * measure to the requests they name.
 *
 * Probes (what the system said, `probes:`) are read the same way, with their own labels:
 *
 *   probe.ready == 1                     max(probe.queue_depth) < 100
 *   increase(probe.rate_limited) == 0    probe.breaker{provider=primary} >= 1 within 5s of fault start
 * @module
 */
import type { Parsed } from "../base/units.js";
import { errorClasses, latencyMetrics, ratioMetrics, stats, type ErrorClass, type LatencyMetric, type Stat } from "../metrics/vocabulary.js";

export { errorClasses, latencyMetrics, ratioMetrics, stats, type ErrorClass, type LatencyMetric, type Stat };

export const operators = ["<", "<=", ">", ">=", "=="] as const;
/** Per-request latencies a goodput condition can name (itl is a distribution of gaps, not one value per request). */
export const goodputMetrics = ["ttft", "ttfb", "e2e", "tpot", "max_stall"] as const;

export type RatioMetric = (typeof ratioMetrics)[number];
export type Operator = (typeof operators)[number];
export type GoodputMetric = (typeof goodputMetrics)[number];

/** Which requests a measure is about. */
export interface Scope {
  tenant?: string;
  workload?: string;
  provider?: string;
}

/** One per-request target of goodput: `ttft < 1s`. */
export interface GoodputCondition {
  metric: GoodputMetric;
  op: "<" | "<=";
  ms: number;
}

/** How a probe's readings in a window become one value; without one, every reading must hold. */
export const probeAggregates = ["max", "min", "avg", "first", "last", "increase"] as const;
export type ProbeAggregate = (typeof probeAggregates)[number];

/** Something measured over a set of requests, or read from a probe. */
export type Measure =
  | { kind: "latency"; metric: LatencyMetric; stat: Stat; scope?: Scope }
  | { kind: "ratio"; metric: RatioMetric; errorClass?: ErrorClass; scope?: Scope }
  | { kind: "goodput"; conditions: GoodputCondition[]; scope?: Scope }
  | { kind: "retry_amplification"; scope?: Scope }
  | { kind: "cost"; field: "total" | "per_1k_requests"; scope?: Scope }
  | { kind: "throughput"; scope?: Scope }
  | { kind: "burn_rate"; slo: number; windowMs: number; scope?: Scope }
  | { kind: "probe"; probe: string; labels?: Record<string, string>; aggregate?: ProbeAggregate; scope?: undefined };

export type ProbeMeasure = Extract<Measure, { kind: "probe" }>;

/** What a threshold is measured in. */
export type Unit = "ms" | "ratio" | "number" | "usd" | "per_sec";

/** A threshold: a value in the measure's unit, or a factor of the same measure in the baseline window. */
export type Threshold = { kind: "value"; value: number } | { kind: "baseline"; factor: number };

/** A condition on a measure: the plain kind of assertion, and the inside of the time-based ones. */
export interface Condition {
  measure: Measure;
  op: Operator;
  threshold: Threshold;
}

export type Assertion =
  | ({ text: string; kind: "measure"; unit: Unit } & Condition)
  /** Time from the end of the last fault until `condition` holds and keeps holding. */
  | { text: string; kind: "recovery_time"; unit: "ms"; condition: Condition; windowMs: number; op: Operator; threshold: Threshold }
  /** Time from the start of the first fault until `condition` is first breached (without one: any other assertion of the hypothesis). */
  | { text: string; kind: "time_to_detect"; unit: "ms"; condition?: Condition; windowMs: number; op: Operator; threshold: Threshold };

/** The unit a measure's values (and so its thresholds) are in. */
export function unitOf(measure: Measure): Unit {
  switch (measure.kind) {
    case "latency": return "ms";
    case "ratio":
    case "goodput": return "ratio";
    case "retry_amplification":
    case "burn_rate":
    case "probe": return "number";
    case "cost": return "usd";
    case "throughput": return "per_sec";
  }
}

/** The default sliding window over which recovery_time and time_to_detect evaluate their condition each second. */
export const DEFAULT_SLIDING_WINDOW_MS = 5000;

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { t: "ident"; v: string; at: number }
  | { t: "num"; v: number; unit: string; at: number; raw: string }
  | { t: "str"; v: string; at: number }
  | { t: "op"; v: Operator; at: number }
  | { t: "punct"; v: "(" | ")" | "{" | "}" | "," | "." | ":" | "*" | "=" | "$"; at: number }
  | { t: "end"; at: number };

class ParseError extends Error {}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (ident) {
      tokens.push({ t: "ident", v: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    // A number with its unit glued on: 800ms, 1.5s, 99.5%, 20/s, 2.
    const num = /^(\d+(?:\.\d+)?)(ms|s|m|h|%|\/s|\/m)?(?![A-Za-z0-9_])/.exec(rest);
    if (num) {
      tokens.push({ t: "num", v: Number(num[1]), unit: num[2] ?? "", at: i, raw: num[0] });
      i += num[0].length;
      continue;
    }
    // A quoted label value of a probe's filter: {le="0.5"}.
    const str = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
    if (str) {
      tokens.push({ t: "str", v: str[1]!.replace(/\\(.)/g, "$1"), at: i });
      i += str[0].length;
      continue;
    }
    if (c === '"') throw new ParseError(`the quoted value at column ${i + 1} is not closed`);
    const op = /^(<=|>=|==|<|>)/.exec(rest);
    if (op) {
      tokens.push({ t: "op", v: op[1] as Operator, at: i });
      i += op[1]!.length;
      continue;
    }
    if ("(){},.:*=$".includes(c)) {
      tokens.push({ t: "punct", v: c as "(", at: i });
      i++;
      continue;
    }
    throw new ParseError(`unexpected "${rest.split(/\s/)[0]}" at column ${i + 1}`);
  }
  tokens.push({ t: "end", at: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const EXAMPLE = `expected <measure> <op> <value>, e.g. "ttft.p95 < 800ms" or "availability >= 99.5%"`;
const timeUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const knownMeasures = [...latencyMetrics, ...ratioMetrics, "goodput", "retry_amplification", "cost", "throughput", "burn_rate", "recovery_time", "time_to_detect", "probe.<name>"];

class Parser {
  #i = 0;
  constructor(readonly text: string, readonly tokens: Token[]) {}

  get peek(): Token {
    return this.tokens[this.#i]!;
  }

  next(): Token {
    return this.tokens[this.#i++]!;
  }

  fail(message: string, at = this.peek.at): never {
    throw new ParseError(at < this.text.length ? `${message} (at column ${at + 1})` : message);
  }

  isPunct(v: string): boolean {
    return this.peek.t === "punct" && this.peek.v === v;
  }

  expectPunct(v: string, what: string): void {
    if (!this.isPunct(v)) this.fail(`expected "${v}" ${what}`);
    this.next();
  }

  ident(what: string): string {
    const token = this.peek;
    if (token.t !== "ident") this.fail(`expected ${what}`);
    this.next();
    return token.v;
  }

  assertion(): Assertion {
    const text = this.text.trim();
    const head = this.peek;
    if (head.t !== "ident") this.fail(`cannot read assertion "${text}": ${EXAMPLE}`);
    if (head.v === "recovery_time" || head.v === "time_to_detect") {
      this.next();
      let condition: Condition | undefined;
      let windowMs = DEFAULT_SLIDING_WINDOW_MS;
      if (this.isPunct("(")) {
        this.next();
        condition = this.condition(true);
        if (this.isPunct(",")) {
          this.next();
          const key = this.ident(`"window: <duration>"`);
          if (key !== "window") this.fail(`unknown argument "${key}" of ${head.v} (only window: <duration>)`);
          this.expectPunct(":", `after "window"`);
          windowMs = this.duration(`the window of ${head.v}`);
        }
        this.expectPunct(")", `to close ${head.v}(…)`);
      } else if (head.v === "recovery_time") {
        this.fail(`recovery_time needs a condition, e.g. recovery_time(ttft.p95 <= 1.2 * baseline) < 30s`);
      }
      const op = this.operator();
      const threshold: Threshold = { kind: "value", value: this.duration(`the threshold of ${head.v}`) };
      this.end();
      return head.v === "recovery_time"
        ? { text, kind: "recovery_time", unit: "ms", condition: condition!, windowMs, op, threshold }
        : { text, kind: "time_to_detect", unit: "ms", ...(condition ? { condition } : {}), windowMs, op, threshold };
    }
    const condition = this.condition(false);
    // `<condition> within 5s of fault start`: the time to detect, as the sentence says it.
    if (this.peek.t === "ident" && this.peek.v === "within") {
      this.next();
      const limit = this.duration("the time after the fault start");
      for (const word of ["of", "fault", "start"]) {
        const at = this.peek.at;
        if (this.peek.t !== "ident" || this.peek.v !== word) this.fail(`expected "within <duration> of fault start"`, at);
        this.next();
      }
      this.end();
      return { text, kind: "time_to_detect", unit: "ms", condition, windowMs: DEFAULT_SLIDING_WINDOW_MS, op: "<=", threshold: { kind: "value", value: limit } };
    }
    this.end();
    return { text, kind: "measure", unit: unitOf(condition.measure), ...condition };
  }

  end(): void {
    if (this.peek.t !== "end") this.fail(`unexpected "${this.text.slice(this.peek.at).trim()}" after the assertion`);
  }

  /** `<measure> <op> <threshold>`; `nested` inside recovery_time(…)/time_to_detect(…). */
  condition(nested: boolean): Condition {
    const measure = this.measure(nested);
    const op = this.operator();
    const threshold = this.threshold(measure);
    return { measure, op, threshold };
  }

  operator(): Operator {
    const token = this.peek;
    if (token.t !== "op") this.fail(`expected a comparison (<, <=, >, >=, ==)${token.t === "end" ? ` at the end: ${EXAMPLE}` : ""}`);
    this.next();
    return token.v;
  }

  measure(nested: boolean): Measure {
    const at = this.peek.at;
    const name = this.ident(`a measure: ${EXAMPLE}`);
    if (name === "recovery_time" || name === "time_to_detect") this.fail(`${name} cannot be nested`, at);
    if (name === "probe") return this.probe(at);
    if (isOneOf(probeAggregates, name) && this.isPunct("(")) {
      this.next();
      const inner = this.peek.at;
      if (this.ident(`probe.<name> inside ${name}(…)`) !== "probe") this.fail(`${name}(…) aggregates a probe's readings: ${name}(probe.<name>)`, inner);
      const measure = this.probe(inner);
      this.expectPunct(")", `to close ${name}(…)`);
      return { ...measure, aggregate: name };
    }
    if (isOneOf(latencyMetrics, name)) {
      if (!this.isPunct(".")) this.fail(`"${name}" needs a statistic, e.g. ${name}.p95 (one of ${stats.join(", ")})`);
      this.next();
      const stat = this.ident(`a statistic after "${name}." (one of ${stats.join(", ")})`);
      if (!isOneOf(stats, stat)) this.fail(`unknown statistic "${stat}" (one of ${stats.join(", ")})`, at);
      const { scope, errorClass } = this.filters(name);
      if (errorClass !== undefined) this.fail(`the class filter is for error_rate, not ${name}`, at);
      return { kind: "latency", metric: name, stat, ...scoped(scope) };
    }
    if (isOneOf(ratioMetrics, name)) {
      if (this.isPunct(".")) this.fail(`"${name}" is a ratio and takes no statistic`);
      const { scope, errorClass } = this.filters(name);
      if (errorClass !== undefined && name !== "error_rate") this.fail(`the class filter is for error_rate, not ${name}`, at);
      return { kind: "ratio", metric: name, ...(errorClass ? { errorClass } : {}), ...scoped(scope) };
    }
    if (name === "goodput") {
      this.expectPunct("(", `after goodput: goodput(ttft < 1s, tpot < 50ms)`);
      const conditions: GoodputCondition[] = [];
      do {
        if (conditions.length > 0) this.next();
        const cAt = this.peek.at;
        const metric = this.ident("a per-request latency (ttft, ttfb, e2e, tpot, max_stall)");
        if (!isOneOf(goodputMetrics, metric)) this.fail(`goodput conditions name a per-request latency (${goodputMetrics.join(", ")}), not "${metric}"`, cAt);
        const op = this.operator();
        if (op !== "<" && op !== "<=") this.fail(`goodput conditions are upper bounds: write ${metric} < <duration>`);
        conditions.push({ metric, op, ms: this.duration(`the ${metric} target`) });
      } while (this.isPunct(","));
      this.expectPunct(")", "to close goodput(…)");
      return { kind: "goodput", conditions, ...this.plainScope(name, at) };
    }
    if (name === "retry_amplification" || name === "throughput") {
      return { kind: name, ...this.plainScope(name, at) };
    }
    if (name === "cost") {
      this.expectPunct(".", `after cost: cost.total or cost.per_1k_requests`);
      const field = this.ident("total or per_1k_requests");
      if (field !== "total" && field !== "per_1k_requests") this.fail(`unknown cost figure "${field}" (total, per_1k_requests)`, at);
      return { kind: "cost", field, ...this.plainScope(name, at) };
    }
    if (name === "burn_rate") {
      this.expectPunct("(", "after burn_rate: burn_rate(slo: 99.9%, window: 5m)");
      let slo: number | undefined;
      let windowMs: number | undefined;
      do {
        if (slo !== undefined || windowMs !== undefined) this.next();
        const key = this.ident("slo: <percentage> or window: <duration>");
        this.expectPunct(":", `after "${key}"`);
        if (key === "slo") {
          const ratio = this.ratio("the slo of burn_rate");
          if (ratio >= 1) this.fail("a burn rate needs an SLO below 100%: it divides by the error budget");
          slo = ratio;
        } else if (key === "window") windowMs = this.duration("the window of burn_rate");
        else this.fail(`unknown argument "${key}" of burn_rate (slo, window)`);
      } while (this.isPunct(","));
      this.expectPunct(")", "to close burn_rate(…)");
      if (slo === undefined) this.fail("burn_rate needs slo: <percentage>, e.g. burn_rate(slo: 99.9%, window: 5m)", at);
      return { kind: "burn_rate", slo, windowMs: windowMs ?? 3_600_000, ...this.plainScope(name, at) };
    }
    void nested;
    return this.fail(`unknown measure "${name}" (known: ${knownMeasures.join(", ")})`, at);
  }

  /** After `probe`: `.name{label=value, …}`. */
  probe(at: number): ProbeMeasure {
    if (!this.isPunct(".")) this.fail(`"probe" needs a probe's name: probe.<name>, e.g. probe.ready`, at);
    this.next();
    const name = this.ident("a probe's name after \"probe.\"");
    const labels: Record<string, string> = {};
    if (this.isPunct("{")) {
      this.next();
      for (;;) {
        const label = this.ident(`a label name: probe.${name}{provider=primary}`);
        this.expectPunct("=", `after the label ${label} (probe filters are label=value)`);
        const value = this.peek as Token;
        const v = value.t === "ident" || value.t === "str" ? value.v : value.t === "num" ? value.raw : this.fail(`label "${label}" needs a value`);
        this.next();
        if (label in labels) this.fail(`label "${label}" is given twice`, at);
        labels[label] = v;
        if (this.isPunct(",")) {
          this.next();
          continue;
        }
        this.expectPunct("}", `to close the labels of probe.${name}`);
        break;
      }
    }
    return { kind: "probe", probe: name, ...(Object.keys(labels).length > 0 ? { labels } : {}) };
  }

  plainScope(name: string, at: number): { scope?: Scope } {
    const { scope, errorClass } = this.filters(name);
    if (errorClass !== undefined) this.fail(`the class filter is for error_rate, not ${name}`, at);
    return scoped(scope);
  }

  /** `{key=value, …}` after a measure. */
  filters(name: string): { scope: Scope; errorClass?: ErrorClass } {
    const scope: Scope = {};
    let errorClass: ErrorClass | undefined;
    if (!this.isPunct("{")) return { scope };
    this.next();
    const seen = new Set<string>();
    for (;;) {
      const at = this.peek.at;
      if (this.peek.t !== "ident") this.fail(`cannot read filter: write {key=value}, e.g. {tenant=acme} or {class=http_429}`);
      const key = this.ident("a filter name");
      if (!this.isPunct("=")) this.fail(`cannot read filter "${key}": write {key=value}, e.g. {tenant=acme} or {class=http_429}`);
      this.next();
      const value = this.peek as Token;
      const v = value.t === "ident" ? value.v : value.t === "num" ? value.raw : this.fail(`filter "${key}" needs a value`);
      this.next();
      if (seen.has(key)) this.fail(`filter "${key}" is given twice`, at);
      seen.add(key);
      if (key === "tenant" || key === "workload" || key === "provider") scope[key] = v;
      else if (key === "class") {
        if (!isOneOf(errorClasses, v)) this.fail(`unknown error class "${v}" (one of ${errorClasses.join(", ")})`, at);
        errorClass = v;
      } else this.fail(`unknown filter "${key}" (filters: tenant, workload, provider, and class for error_rate)`, at);
      if (this.isPunct(",")) {
        this.next();
        continue;
      }
      this.expectPunct("}", `to close the filters of ${name}`);
      return errorClass ? { scope, errorClass } : { scope };
    }
  }

  threshold(measure: Measure): Threshold {
    const token = this.peek;
    if (token.t === "num" && token.unit === "" && this.tokens[this.#i + 1]?.t === "punct" && (this.tokens[this.#i + 1] as { v: string }).v === "*") {
      this.next();
      this.next();
      const base = this.ident(`"baseline" after "${token.raw} *"`);
      if (base !== "baseline") this.fail(`a relative threshold is "<factor> * baseline", not "* ${base}"`, token.at);
      if (measure.kind === "probe") this.fail(`a probe is compared with a number, not with the baseline`, token.at);
      if (measure.kind === "ratio" || measure.kind === "goodput") this.fail(`relative thresholds are for latencies, costs, throughput and amplification; write ${measure.kind === "goodput" ? "goodput" : measure.metric} thresholds as a percentage`, token.at);
      return { kind: "baseline", factor: token.v };
    }
    const name = describeMeasure(measure);
    switch (unitOf(measure)) {
      case "ms":
        return { kind: "value", value: this.duration(`${name} thresholds`) };
      case "ratio":
        return { kind: "value", value: this.ratio(name) };
      case "number": {
        if (token.t !== "num" || token.unit !== "") this.fail(`${name} takes a plain number, e.g. ${measure.kind === "burn_rate" ? "14.4" : measure.kind === "probe" ? "1" : "1.5"}`);
        this.next();
        return { kind: "value", value: token.v };
      }
      case "usd": {
        if (this.isPunct("$")) this.next();
        const n = this.peek;
        if (n.t !== "num" || n.unit !== "") this.fail(`${name} takes an amount in USD, e.g. $2`);
        this.next();
        return { kind: "value", value: n.v };
      }
      case "per_sec": {
        if (token.t !== "num" || (token.unit !== "/s" && token.unit !== "/m")) this.fail(`${name} takes a rate, e.g. 20/s or 600/m`);
        this.next();
        return { kind: "value", value: token.unit === "/m" ? token.v / 60 : token.v };
      }
    }
  }

  duration(what: string): number {
    const token = this.peek;
    if (token.t !== "num" || !(token.unit in timeUnits)) {
      this.fail(`"${token.t === "num" ? token.raw : this.text.slice(token.at).trim() || "nothing"}" is not a duration: ${what} need a unit, e.g. 800ms or 1.5s`);
    }
    this.next();
    return token.v * timeUnits[token.unit]!;
  }

  ratio(what: string): number {
    const token = this.peek;
    // Rounded: 99.9 / 100 is 0.9990000000000001 in floating point.
    const value = token.t !== "num" ? Number.NaN : token.unit === "%" ? Math.round(token.v * 1e6) / 1e8 : token.unit === "" ? token.v : Number.NaN;
    if (!(value >= 0 && value <= 1)) this.fail(`"${token.t === "num" ? token.raw : this.text.slice(token.at).trim()}" is not a ratio: ${what} takes a percentage such as 99.5% or a fraction from 0 to 1`);
    this.next();
    return value;
  }
}

/** Parses one assertion, returning a readable message instead of throwing. */
export function parseAssertion(text: string): Parsed<Assertion> {
  try {
    const parser = new Parser(text, tokenize(text));
    return { ok: true, value: parser.assertion() };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, message: err.message };
    throw err;
  }
}

/** How a measure reads in messages: `ttft.p95{tenant=a}`. */
export function describeMeasure(measure: Measure): string {
  const scope = measure.scope ? Object.entries(measure.scope).map(([k, v]) => `${k}=${v}`) : [];
  const withClass = measure.kind === "ratio" && measure.errorClass ? [...scope, `class=${measure.errorClass}`] : scope;
  const filter = withClass.length > 0 ? `{${withClass.join(", ")}}` : "";
  switch (measure.kind) {
    case "latency": return `${measure.metric}.${measure.stat}${filter}`;
    case "ratio": return `${measure.metric}${filter}`;
    case "goodput": return `goodput(${measure.conditions.map((c) => `${c.metric} ${c.op} ${c.ms}ms`).join(", ")})${filter}`;
    case "cost": return `cost.${measure.field}${filter}`;
    case "burn_rate": return `burn_rate(slo: ${measure.slo * 100}%)${filter}`;
    case "probe": {
      const labels = measure.labels ? `{${Object.entries(measure.labels).map(([k, v]) => `${k}=${v}`).join(", ")}}` : "";
      return measure.aggregate ? `${measure.aggregate}(probe.${measure.probe}${labels})` : `probe.${measure.probe}${labels}`;
    }
    default: return `${measure.kind}${filter}`;
  }
}

/** The probes an assertion reads. */
export function probesOf(assertion: Assertion): string[] {
  const measures = assertion.kind === "measure" ? [assertion.measure] : assertion.condition ? [assertion.condition.measure] : [];
  return measures.flatMap((m) => (m.kind === "probe" ? [m.probe] : []));
}

/** Every scope an assertion names (its measure's, and its condition's). */
export function scopesOf(assertion: Assertion): Scope[] {
  const measures = assertion.kind === "measure" ? [assertion.measure] : assertion.condition ? [assertion.condition.measure] : [];
  return measures.flatMap((m) => (m.scope ? [m.scope] : []));
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

function scoped(scope: Scope): { scope?: Scope } {
  return Object.keys(scope).length > 0 ? { scope } : {};
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
