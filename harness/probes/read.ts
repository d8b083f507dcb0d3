/**
 * Reading a probe once: the HTTP check, the PromQL query (instant, or the whole run as a range),
 * the series of a metrics endpoint. A probe that cannot be read — refused, timed out, an answer
 * not of the expected shape — is a reading with its `error`, never a value: the system was not
 * heard, which says nothing about it.
 * @module
 */
import { request } from "undici";
import { HarnessError } from "../base/errors.js";
import { matchesSelector, parseExposition } from "../metrics/exposition.js";
import type { ProbeReading, ReadingMoment, ReadingSeries } from "../metrics/probe-reading.js";
import { compare } from "../slo/expression.js";
import type { ProbeSpec } from "./schema.js";

export interface ReadContext {
  /** The events' clock of the reading (ms since the run started). */
  at: number;
  moment: ReadingMoment;
  /** The base URL of a reference stack component by the name a probe gives (`gateway`, a provider). */
  componentUrl?: (component: string) => string | undefined;
  /** The environment headers are read from. */
  env?: NodeJS.ProcessEnv;
  /** For a range query: the window read, in Unix ms. */
  range?: { startMs: number; endMs: number; toEventsClock: (unixMs: number) => number };
}

/** Reads the probe once: one reading (a range query: one per point of the run). */
export async function readProbe(probe: ProbeSpec, ctx: ReadContext): Promise<ProbeReading[]> {
  const base = { probe: probe.name, t: ctx.at, moment: ctx.moment };
  try {
    if (probe.http) return [{ ...base, ...(await readHttp(probe, ctx)) }];
    if (probe.metrics) return [{ ...base, series: await readMetrics(probe, ctx) }];
    return await readPrometheus(probe, ctx, base);
  } catch (err) {
    return [{ ...base, error: describe(err) }];
  }
}

function describe(err: unknown): string {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return "no answer within the probe's timeout";
  if (err instanceof HarnessError) return err.message;
  const code = e.code ?? e.cause?.code;
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}

/** Why a probe got no value: it becomes the reading's `error`, never the run's. */
const unreadable = (message: string) => new HarnessError("PROBE_UNREADABLE", { message });

const signalFor = (probe: ProbeSpec) => AbortSignal.timeout(probe.timeout);

function componentUrl(component: string, ctx: ReadContext, path: string): string {
  const root = ctx.componentUrl?.(component);
  if (!root) throw unreadable(`no component named ${component} in this stack`);
  return `${root}${path}`;
}

async function readHttp(probe: ProbeSpec, ctx: ReadContext): Promise<Pick<ProbeReading, "series" | "status" | "latencyMs" | "failed">> {
  const spec = probe.http!;
  const headers: Record<string, string> = { ...spec.headers };
  const env = ctx.env ?? process.env;
  for (const [header, variable] of Object.entries(spec.headersFromEnv)) headers[header] = env[variable] ?? "";
  const url = spec.url ?? componentUrl(spec.component!, ctx, spec.path!);
  const started = performance.now();
  const res = await request(url, { method: spec.method, headers, ...(spec.body !== undefined ? { body: spec.body } : {}), signal: signalFor(probe), headersTimeout: probe.timeout, bodyTimeout: probe.timeout });
  const text = await res.body.text();
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  const failed: string[] = [];
  const expected = Array.isArray(spec.status) ? spec.status : [spec.status];
  if (!expected.includes(res.statusCode)) failed.push(`status ${res.statusCode}, expected ${expected.join(" or ")}`);
  if (spec.maxLatency !== undefined && latencyMs > spec.maxLatency) failed.push(`answered in ${Math.round(latencyMs)} ms, more than ${spec.maxLatency} ms`);
  let value: number | undefined;
  if (spec.json) {
    let found: unknown;
    try {
      found = atPath(JSON.parse(text), spec.json.path);
    } catch {
      found = undefined;
      failed.push(`the answer is not JSON`);
    }
    if (spec.json.op === undefined) {
      // The number at the path is the probe's value; an answer without one could not be read.
      if (typeof found !== "number") throw unreadable(`${spec.json.path} is ${found === undefined ? "missing" : JSON.stringify(found)} in the answer (status ${res.statusCode}), not a number`);
      value = found;
    } else if (failed.length === 0 || found !== undefined) {
      const want = spec.json.value!;
      const holds = typeof want === "number" ? typeof found === "number" && compare(found, spec.json.op, want) : found === want;
      if (!holds) failed.push(`${spec.json.path} is ${found === undefined ? "missing" : JSON.stringify(found)}, expected ${spec.json.op} ${JSON.stringify(want)}`);
    }
  }
  return { series: [{ labels: {}, value: value ?? (failed.length === 0 ? 1 : 0) }], status: res.statusCode, latencyMs, ...(failed.length > 0 ? { failed: failed.join("; ") } : {}) };
}

async function readMetrics(probe: ProbeSpec, ctx: ReadContext): Promise<ReadingSeries[]> {
  const spec = probe.metrics!;
  const url = spec.url ?? componentUrl(spec.component!, ctx, "/metrics");
  const res = await request(url, { method: "GET", signal: signalFor(probe), headersTimeout: probe.timeout, bodyTimeout: probe.timeout });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw unreadable(`${url} answered HTTP ${res.statusCode}`);
  const name = spec.series.name;
  return parseExposition(text, (n) => n === name).filter((s) => matchesSelector(s, spec.series)).map((s) => ({ labels: s.labels, value: s.value }));
}

interface PromResponse {
  status: "success" | "error";
  error?: string;
  errorType?: string;
  data?: { resultType: "vector" | "matrix" | "scalar" | "string"; result: unknown };
}

async function readPrometheus(probe: ProbeSpec, ctx: ReadContext, base: Pick<ProbeReading, "probe" | "t" | "moment">): Promise<ProbeReading[]> {
  const spec = probe.prometheus!;
  const root = spec.url.replace(/\/+$/, "");
  const form = new URLSearchParams({ query: spec.query });
  let path = "/api/v1/query";
  if (spec.range) {
    if (!ctx.range) throw unreadable("a range query needs the run's window");
    path = "/api/v1/query_range";
    form.set("start", String(ctx.range.startMs / 1000));
    form.set("end", String(ctx.range.endMs / 1000));
    form.set("step", `${spec.range.step / 1000}s`);
  }
  const res = await request(`${root}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString(), signal: signalFor(probe), headersTimeout: probe.timeout, bodyTimeout: probe.timeout });
  const text = await res.body.text();
  let body: PromResponse;
  try {
    body = JSON.parse(text) as PromResponse;
  } catch {
    throw unreadable(`${root}${path} answered HTTP ${res.statusCode}, not a Prometheus API answer: ${text.slice(0, 120)}`);
  }
  if (body.status !== "success" || !body.data) throw unreadable(`the query failed: ${body.errorType ?? `HTTP ${res.statusCode}`}: ${body.error ?? "no data"}`);
  const { resultType, result } = body.data;
  if (resultType === "scalar") return [{ ...base, series: [{ labels: {}, value: Number((result as [number, string])[1]) }] }];
  if (resultType === "vector") {
    return [{ ...base, series: (result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ labels: r.metric, value: Number(r.value[1]) })) }];
  }
  if (resultType === "matrix" && ctx.range) {
    // Each step is a reading at its own time; a series absent at a step is absent from that reading.
    const byTime = new Map<number, ReadingSeries[]>();
    for (const r of result as { metric: Record<string, string>; values: [number, string][] }[]) {
      for (const [ts, v] of r.values) {
        const list = byTime.get(ts) ?? [];
        list.push({ labels: r.metric, value: Number(v) });
        byTime.set(ts, list);
      }
    }
    return [...byTime.entries()].sort(([a], [b]) => a - b).map(([ts, series]) => ({ ...base, t: Math.round(ctx.range!.toEventsClock(ts * 1000)), moment: "during" as const, series }));
  }
  throw unreadable(`the query returned a ${resultType}; a probe reads numbers (an instant vector or a scalar${spec.range ? "; a range query: a matrix" : ""})`);
}

/** The value at `$.a.b[0]`, undefined when the path leads nowhere. */
export function atPath(doc: unknown, path: string): unknown {
  let node = doc;
  for (const m of path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g)) {
    if (node === null || typeof node !== "object") return undefined;
    node = m[1] !== undefined ? (node as Record<string, unknown>)[m[1]] : (node as unknown[])[Number(m[2])];
  }
  return node;
}

/** The environment variables the probes' headers name and the environment lacks. */
export function missingProbeEnv(probes: readonly ProbeSpec[], env: NodeJS.ProcessEnv = process.env): { probe: string; variable: string }[] {
  return probes.flatMap((p) => Object.values(p.http?.headersFromEnv ?? {}).filter((v) => env[v] === undefined).map((variable) => ({ probe: p.name, variable })));
}
