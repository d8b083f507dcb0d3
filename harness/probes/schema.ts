/**
 * The `probes:` section (issue 21): questions put to the system itself — an HTTP check, a PromQL
 * query, a series of a metrics endpoint — read before the traffic, after it, or on an interval
 * while it runs, and judged in hypotheses as `probe.<name>` (slo/expression.ts).
 * @module
 */
import { z } from "zod";
import { closed, crossCheck, envName, identifier, positiveDuration } from "../base/fields.js";
import { formatDuration } from "../base/units.js";
import { parseSelector, type SeriesSelector } from "../metrics/exposition.js";

export const probeModes = ["before", "after", "both", "continuous", "during"] as const;
export type ProbeMode = (typeof probeModes)[number];

const selector = z.string().transform((text, ctx): SeriesSelector => {
  const parsed = parseSelector(text);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
});

/** `$.a.b[0]`: keys and indexes from the document's root. */
const jsonPath = z.string().regex(/^\$((\.[A-Za-z_][A-Za-z0-9_-]*)|(\[\d+\]))*$/, 'a JSON path from the root, e.g. $.status or $.data[0].value');

const httpProbe = closed({
  url: z.string().url().optional().meta({ description: "What to ask: loopback, or a host in `allow`.", example: "http://127.0.0.1:8080/ready" }),
  component: z.string().min(1).optional().meta({ description: "Or, with the reference stack, one of its components (`gateway`, or a provider's name), at `path`.", example: "gateway" }),
  path: z.string().regex(/^\//, "a path starting with /").optional().meta({ description: "With component: the path asked.", example: "/readyz" }),
  method: z.enum(["GET", "HEAD", "POST", "PUT"]).default("GET").meta({ description: "The HTTP method.", example: "GET" }),
  headers: z.record(z.string(), z.string()).default({}).meta({ description: "Headers sent as written (nothing secret: the scenario is copied into the results).", example: { accept: "application/json" } }),
  headersFromEnv: z.record(z.string(), envName).default({}).meta({ description: "Headers whose value is an environment variable's, never written anywhere: header name → variable name.", example: { authorization: "READY_CHECK_AUTH" } }),
  body: z.string().optional().meta({ description: "A request body, for POST and PUT.", example: '{"ping":true}' }),
  status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).default(200).meta({ description: "The status (or statuses) the check expects.", example: [200, 204] }),
  json: closed({
    path: jsonPath.meta({ description: "Where in the JSON answer to look.", example: "$.status" }),
    op: z.enum(["<", "<=", ">", ">=", "=="]).optional().meta({ description: "With `value`: how the value found compares with it.", example: "==" }),
    value: z.union([z.number(), z.string(), z.boolean()]).optional().meta({ description: "With `op`: what the value found is compared with (strings and booleans: only `==`).", example: "ok" }),
  }).check(crossCheck((j, ctx) => {
    if ((j.op === undefined) !== (j.value === undefined)) ctx.addIssue({ code: "custom", path: [j.op === undefined ? "op" : "value"], message: "give op and value together, or neither (the probe's value is then the number at path)" });
    if (j.value !== undefined && typeof j.value !== "number" && j.op !== "==") ctx.addIssue({ code: "custom", path: ["op"], message: `${JSON.stringify(j.value)} is not a number: compare it with ==` });
  })).optional().meta({ description: "A check of the JSON answer: with `op` and `value` it must hold; without them the probe's value is the number found at `path`.", example: { path: "$.status", op: "==", value: "ok" } }),
  maxLatency: positiveDuration.optional().meta({ description: "A check answered slower than this fails.", example: "500ms" }),
}).check(crossCheck((h, ctx) => {
  if ((h.url === undefined) === (h.component === undefined)) ctx.addIssue({ code: "custom", path: ["url"], message: "give url (any endpoint) or component and path (one of the reference stack's), exactly one" });
  if (h.component !== undefined && h.path === undefined) ctx.addIssue({ code: "custom", path: ["path"], message: "component needs path: the path asked, e.g. /readyz" });
  if (h.component === undefined && h.path !== undefined) ctx.addIssue({ code: "custom", path: ["path"], message: "path is for component; with url, write the whole URL" });
})).meta({ description: "An HTTP check: its value is 1 when the answer has the expected status, passes the JSON check and came within maxLatency, else 0 (or, with `json.path` alone, the number found there).", example: { component: "gateway", path: "/readyz", json: { path: "$.status", op: "==", value: "ok" } } });

const prometheusProbe = closed({
  url: z.string().url().meta({ description: "The Prometheus-compatible server's base URL (its /api/v1/query is asked): loopback, or a host in `allow`.", example: "http://127.0.0.1:9090" }),
  query: z.string().min(1).meta({ description: "A PromQL expression; each series of its result is a series of the reading, with its labels.", example: 'max(aire_gateway_breaker_state{provider="primary"})' }),
  range: closed({
    step: positiveDuration.prefault("1s").meta({ description: "The resolution of the range query.", example: "1s" }),
  }).optional().meta({ description: "Read the whole run at once as a range query (/api/v1/query_range from the traffic's start to its end) when the traffic is over: each point is a reading at its own time. Only with mode after.", example: { step: "1s" } }),
}).meta({ description: "A PromQL query against a Prometheus-compatible server.", example: { url: "http://127.0.0.1:9090", query: 'max(aire_gateway_breaker_state{provider="primary"})' } });

const metricsProbe = closed({
  url: z.string().url().optional().meta({ description: "A metrics endpoint (Prometheus or OpenMetrics text): loopback, or a host in `allow`.", example: "http://127.0.0.1:9901/stats/prometheus" }),
  component: z.string().min(1).optional().meta({ description: "Or, with the reference stack, one of its components' /metrics: `gateway`, or a provider's name.", example: "gateway" }),
  series: selector.meta({ description: "Which series to read: a metric name and label matchers, as PromQL writes them.", example: 'aire_gateway_breaker_state{provider="primary"}' }),
}).check(crossCheck((m, ctx) => {
  if ((m.url === undefined) === (m.component === undefined)) ctx.addIssue({ code: "custom", path: ["url"], message: "give url (any metrics endpoint) or component (one of the reference stack's), exactly one" });
})).meta({ description: "A series scraped straight from a metrics endpoint, no Prometheus needed.", example: { component: "gateway", series: 'aire_gateway_breaker_state{provider="primary"}' } });

export const probeSchema = closed({
  name: identifier.meta({ description: "The probe's name: assertions read it as `probe.<name>`.", example: "breaker-open" }),
  mode: z.enum(probeModes).default("continuous").meta({ description: "When it is read: `before` the traffic, `after` it, `both`, `continuous` (every interval while the traffic runs) or `during` (every interval inside the window `during` names).", example: "continuous" }),
  during: identifier.optional().meta({ description: "With mode during: a phase's name, or `fault` (while any fault is active).", example: "fault" }),
  interval: positiveDuration.prefault("1s").meta({ description: "How often a continuous or during probe is read.", example: "500ms" }),
  timeout: positiveDuration.prefault("2s").meta({ description: "A probe not answered within this could not be read (INCONCLUSIVE, never FAIL); a continuous probe is not asked again while an answer is pending.", example: "1s" }),
  http: httpProbe.optional(),
  prometheus: prometheusProbe.optional(),
  metrics: metricsProbe.optional(),
}).check(crossCheck((p, ctx) => {
  const kinds = (["http", "prometheus", "metrics"] as const).filter((k) => p[k] !== undefined);
  if (kinds.length !== 1) ctx.addIssue({ code: "custom", path: kinds.length > 1 ? [kinds[1]!] : ["http"], message: `a probe is one of http, prometheus or metrics${kinds.length > 1 ? `, not ${kinds.join(" and ")}` : ""}` });
  if (p.mode === "during" && p.during === undefined) ctx.addIssue({ code: "custom", path: ["during"], message: "mode during needs during: <phase> or fault" });
  if (p.mode !== "during" && p.during !== undefined) ctx.addIssue({ code: "custom", path: ["during"], message: `during is for mode during (mode is ${p.mode})` });
  if (p.prometheus?.range && p.mode !== "after") ctx.addIssue({ code: "custom", path: ["prometheus", "range"], message: `a range query reads the whole run once it is over: mode after (mode is ${p.mode})` });
})).meta({ description: "A question put to the system itself, judged in hypotheses as probe.<name>.", example: { name: "breaker-open", mode: "continuous", metrics: { component: "gateway", series: 'aire_gateway_breaker_state{provider="primary"}' } } });

export const probesSchema = z.array(probeSchema).default([]).meta({
  description: "Probes: HTTP checks, PromQL queries and metrics series read before, after or while the traffic runs; hypotheses judge them as `probe.<name>` (docs/reference/vocabulary.md). A probe that cannot be read makes its hypotheses INCONCLUSIVE, never FAIL.",
  example: [{ name: "ready", mode: "both", http: { url: "http://127.0.0.1:8080/ready" } }],
});

export type ProbeSpec = z.output<typeof probeSchema>;

/** What a probe asks, as reports and `aire plan` say it: a URL, a query, a component's series. */
export function describeProbe(spec: ProbeSpec): string {
  if (spec.http) return `${spec.http.method} ${spec.http.url ?? `${spec.http.component} ${spec.http.path}`}`;
  if (spec.prometheus) return `${spec.prometheus.query} at ${spec.prometheus.url}${spec.prometheus.range ? ` (the whole run, step ${formatDuration(spec.prometheus.range.step)})` : ""}`;
  const { series, component, url } = spec.metrics!;
  return `${series.name}${series.matchers.length ? `{${series.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(",")}}` : ""} of ${component ?? url}`;
}

/** When a probe is read, in words. */
export function describeProbeMode(spec: ProbeSpec): string {
  if (spec.mode === "continuous") return `every ${formatDuration(spec.interval)} while the traffic runs`;
  if (spec.mode === "during") return `every ${formatDuration(spec.interval)} during ${spec.during}`;
  return spec.mode === "both" ? "before the traffic and after it" : `${spec.mode} the traffic`;
}
