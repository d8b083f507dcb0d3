/** `aire plan`: the resolved values and the phase/fault timeline, without sending anything. @module */
import { describeProbe, describeProbeMode } from "../probes/schema.js";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify } from "yaml";
import { faultDefinition } from "../../faults/index.js";
import type { Schedule } from "../../faults/schedule.js";
import type { LoadedScenario } from "../scenario/load.js";
import { isIn } from "../scenario/positions.js";
import { describePolicy } from "../reference/gateway/config.js";
import { arrivalModel, describeArrival, expectedArrivals } from "../traffic/arrival.js";
import { describeTokens } from "../traffic/distribution.js";
import { gatewayPolicy } from "../stack/reference-stack.js";
import { formatDuration } from "../base/units.js";
import { activations } from "../../faults/schedule.js";
import type { Assertion } from "../slo/expression.js";
import { failuresTolerated, samplesToDecide } from "../slo/decidable.js";

type Scenario = LoadedScenario["scenario"];
type Hypothesis = Scenario["hypotheses"][number];

export function planText(loaded: LoadedScenario): string {
  const s = loaded.scenario;
  const lines: string[] = [];
  lines.push(`scenario ${s.name} (${loaded.file}), seed ${s.seed}${loaded.options.timeScale ? `, time scale ${loaded.options.timeScale}` : ""}`);
  if (s.description) lines.push(s.description.trim());
  lines.push("");
  const reference = s.target.reference;
  if (!reference) {
    lines.push(`target: ${s.target.url} (your gateway${s.target.apiKeyEnv ? `, key from $${s.target.apiKeyEnv}` : ""})${s.target.toxiproxy ? `, network faults through Toxiproxy ${s.target.toxiproxy.url}` : ""}`);
    if (s.allow.length > 0) lines.push(`  allowed hosts: ${s.allow.join(", ")}`);
  } else {
    lines.push(`target: reference gateway, profile ${reference.gateway.profile}`);
    for (const line of describePolicy(gatewayPolicy(reference.gateway))) lines.push(`  ${line}`);
  }
  for (const p of reference?.providers ?? []) lines.push(`  provider ${p.name}: model ${p.model}, ttft ${formatDuration(p.ttft)}, decode ${p.decodeTokensPerSec} tok/s, prefill ${p.prefillTokensPerSec} tok/s`);
  const total = s.phases.reduce((sum, p) => sum + p.duration, 0);
  const arrival = s.traffic.arrival;
  // The shared arrival and each tenant's own (a closed loop has no expected count).
  const models = arrival.type === "closed" ? undefined : [arrival, ...s.traffic.tenants.flatMap((t) => (t.arrival && t.arrival.type !== "closed" ? [t.arrival] : []))].map((a) => arrivalModel(a, total).segments);
  const expected = (from: number, to: number) => models!.reduce((sum, segments) => sum + expectedArrivals(segments, from, to), 0);
  lines.push(`traffic: ${describeArrival(s.traffic.arrival)} to model ${s.traffic.model}, client timeout ${formatDuration(s.traffic.client.timeout)}`);
  for (const t of s.traffic.tenants) lines.push(`  tenant ${t.name}: ${t.arrival ? `own arrival ${describeArrival(t.arrival)}` : `weight ${t.weight} of the shared arrival`}${t.rpm ? `, rpm ${t.rpm}` : ""}${t.tpm ? `, tpm ${t.tpm}` : ""}`);
  for (const w of s.traffic.mix) lines.push(`  ${w.name} (weight ${w.weight}): ${w.stream ? "stream" : "non-stream"}, prompt tokens ${describeTokens(w.promptTokens)}, max_tokens ${describeTokens(w.maxTokens)}`);
  lines.push("");
  lines.push("timeline:");
  let t = 0;
  for (const phase of s.phases) {
    lines.push(`  ${formatDuration(t).padStart(7)} → ${formatDuration(t + phase.duration).padEnd(7)} ${phase.name}  ${models ? `(~${Math.round(expected(t, t + phase.duration))} requests)` : "(closed loop: as many requests as the answers allow)"}`);
    for (const f of phase.faults) lines.push(`                     fault: ${faultDefinition(f).describe(f)}${describeSchedule(f.schedule)}`);
    t += phase.duration;
  }
  lines.push(`  total ${formatDuration(t)}`);
  if (s.probes.length > 0) {
    lines.push("", "probes (what the system is asked):");
    for (const p of s.probes) lines.push(`  probe.${p.name}: ${p.http ? "http" : p.prometheus ? "prometheus" : "metrics"} ${describeProbe(p)}, ${describeProbeMode(p)} (timeout ${formatDuration(p.timeout)})`);
  }
  const exp = s.export;
  if (exp) {
    lines.push("", "exports while running:");
    if (exp.prometheus) lines.push(`  prometheus remote write to ${exp.prometheus.url} every ${formatDuration(exp.prometheus.interval)}`);
    if (exp.otlp) lines.push(`  OTLP/HTTP to ${exp.otlp.url} every ${formatDuration(exp.otlp.interval)}`);
    if (exp.grafana) lines.push(`  Grafana annotations at ${exp.grafana.url} (token from $${exp.grafana.tokenEnv})${exp.grafana.dashboardUid ? ` on dashboard ${exp.grafana.dashboardUid}` : ""}`);
  }
  if (s.hypotheses.length > 0) {
    lines.push("");
    lines.push("hypotheses:");
    for (const h of s.hypotheses) {
      lines.push(`  ${h.name} (during ${h.during}, at least ${h.minSamples} samples)`);
      for (const a of h.expect) lines.push(`    - ${a.text}${decidability(a, s, h)}`);
    }
  }
  lines.push("");
  lines.push(`resolved values (unmarked: written in ${loaded.file}; marked: the file it extends, the override or the default each came from):`);
  lines.push(withOrigins(loaded).replace(/^/gm, "  "));
  return lines.join("\n");
}

/** The resolved scenario as YAML, each value not written in the scenario file itself marked with its origin. */
function withOrigins(loaded: LoadedScenario): string {
  const text = stringify(loaded.scenario, { indent: 2 }).trimEnd();
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const marks = new Map<number, string>();
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) for (const pair of node.items) walk(pair.value, [...path, String(isScalar(pair.key) ? pair.key.value : pair.key)]);
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
    else if (isScalar(node) && node.range) {
      const line = counter.linePos(node.range[0]).line;
      if (marks.has(line)) return;
      const origin = loaded.origin(path);
      if (origin === undefined) marks.set(line, "default");
      else if (!isIn(origin, loaded.file)) marks.set(line, origin);
    }
  };
  walk(doc.contents, []);
  return text
    .split("\n")
    .map((line, i) => (marks.has(i + 1) ? `${line}  # ${marks.get(i + 1)}` : line))
    .join("\n");
}

function describeSchedule(s: Schedule | undefined): string {
  if (!s) return "";
  const parts = [
    s.at > 0 ? `from +${formatDuration(s.at)}` : "",
    s.for !== undefined ? `for ${formatDuration(s.for)}` : "",
    s.every !== undefined ? `every ${formatDuration(s.every)}` : "",
    s.ramp ? `ramping ${s.ramp.param} from ${s.ramp.from} in ${s.ramp.steps} steps` : "",
  ].filter(Boolean);
  return parts.length > 0 ? ` [${parts.join(", ")}]` : "";
}

/**
 * For a rate assertion (availability, error_rate, goodput) against a fixed threshold: how many
 * requests its window will hold, and so whether it can be decided at all. A rate is judged on its
 * 95% interval, so `availability >= 99.9%` needs thousands of requests with no error.
 */
function decidability(a: Assertion, s: Scenario, h: Hypothesis): string {
  if (a.kind !== "measure" || a.threshold.kind !== "value" || (a.measure.kind !== "ratio" && a.measure.kind !== "goodput")) return "";
  const needed = samplesToDecide(a.op, a.threshold.value);
  if (needed === undefined) return "";
  const n = scopedCount(a.measure.scope, s, windowSpans(h, s));
  if (n === undefined) return "";
  if (n < needed) return `\n      ! cannot PASS with ~${n} requests in its window: even with none failing, ${needed} are needed to show it at 95% confidence`;
  const k = failuresTolerated(a.op, a.threshold.value, n);
  return `\n      (~${n} requests: PASS with at most ${k} on the failing side)`;
}

/** The spans (ms from the start) of a hypothesis's window. */
function windowSpans(h: Hypothesis, s: Scenario): { start: number; end: number }[] {
  const total = s.phases.reduce((sum, p) => sum + p.duration, 0);
  const faults: { start: number; end: number }[] = [];
  const phases: { name: string; start: number; end: number }[] = [];
  let t = 0;
  for (const phase of s.phases) {
    phases.push({ name: phase.name, start: t, end: t + phase.duration });
    for (const f of phase.faults) for (const act of activations(f.schedule, phase.duration, undefined)) faults.push({ start: t + act.start, end: t + act.end });
    t += phase.duration;
  }
  switch (h.window.kind) {
    case "run": return [{ start: 0, end: total }];
    case "phase": return phases.filter((p) => p.name === (h.window as { phase: string }).phase);
    case "fault": {
      const merged: { start: number; end: number }[] = [];
      for (const f of faults.sort((x, y) => x.start - y.start)) {
        const last = merged.at(-1);
        if (last && f.start <= last.end) last.end = Math.max(last.end, f.end);
        else merged.push({ ...f });
      }
      return merged;
    }
    case "after": {
      if (faults.length === 0) return [];
      const from = Math.max(...faults.map((f) => f.end)) + h.window.delayMs;
      return from < total ? [{ start: from, end: total }] : [];
    }
  }
}

/**
 * The requests a scope's window will hold, from the arrival models: a tenant with an arrival of its
 * own sends by it, the others share the scenario's by weight, and a workload takes its weight's
 * share. Undefined where the scenario cannot say (a provider: the gateway decides).
 */
function scopedCount(scope: { tenant?: string; workload?: string; provider?: string } | undefined, s: Scenario, spans: { start: number; end: number }[]): number | undefined {
  if (scope?.provider !== undefined) return undefined;
  const total = s.phases.reduce((sum, p) => sum + p.duration, 0);
  const count = (arrival: Scenario["traffic"]["arrival"]) => {
    if (arrival.type === "closed") return undefined;
    const { segments } = arrivalModel(arrival, total);
    return spans.reduce((sum, w) => sum + expectedArrivals(segments, w.start, w.end), 0);
  };
  const tenants = s.traffic.tenants;
  const sharing = tenants.filter((t) => !t.arrival);
  const shared = count(s.traffic.arrival);
  if (shared === undefined) return undefined;
  const weights = sharing.reduce((sum, t) => sum + t.weight, 0);
  let n: number;
  if (scope?.tenant !== undefined) {
    const tenant = tenants.find((t) => t.name === scope.tenant);
    if (!tenant) return undefined;
    const own = tenant.arrival ? count(tenant.arrival) : weights > 0 ? (shared * tenant.weight) / weights : 0;
    if (own === undefined) return undefined;
    n = own;
  } else {
    // The shared arrival always sends (anonymously when no tenant shares it), plus every own arrival.
    n = shared + tenants.reduce((sum, t) => sum + (t.arrival ? count(t.arrival) ?? 0 : 0), 0);
  }
  if (scope?.workload !== undefined) {
    const mixTotal = s.traffic.mix.reduce((sum, w) => sum + w.weight, 0);
    const w = s.traffic.mix.find((m) => m.name === scope.workload);
    if (!w || mixTotal === 0 || w.weight === 0) return undefined;
    n *= w.weight / mixTotal;
  }
  return Math.floor(n);
}
