/**
 * The stack's telemetry (summary.json's `telemetry`) said in words per phase, for summary.md and
 * report.html, and drawn per second for report.html's charts: did the breakers open, how many
 * retries and fallbacks, what was shed or refused, how long the queues got.
 * @module
 */
import type { RunReport } from "../harness/results/run-report.js";
import { isCounter } from "../harness/results/telemetry.js";
import { formatDuration } from "../harness/base/units.js";

const BREAKER = ["closed", "half-open", "open"];

/** The label `label` of a series key (`name{a="x"}` → x for a). */
const labelOf = (key: string, label: string) => new RegExp(`[{,]${label}="([^"]*)"`).exec(key)?.[1];
const nameOf = (key: string) => key.split("{", 1)[0]!;

/** What a component that is not aire's reported: each kept series, a counter's increase or a gauge's highest level. */
function genericFacts(component: string, figures: Record<string, number>): string | undefined {
  const entries = Object.entries(figures).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return undefined;
  const shown = entries.slice(0, 8).map(([key, value]) => (isCounter(key) ? `${key} +${value}` : `${key} at most ${value}`));
  return `${component}: ${shown.join(", ")}${entries.length > 8 ? `, and ${entries.length - 8} more series (summary.json)` : ""}`;
}

/** One line per phase: what the gateway and the providers (or a url target's endpoints) reported in it. */
export function telemetryFacts(report: RunReport): { phase: string; facts: string[] }[] {
  const telemetry = report.telemetry;
  if (!telemetry) return [];
  return report.phases.map((phase) => {
    const byComponent = telemetry.phases[phase.name] ?? {};
    const facts: string[] = [];
    // The reference stack's components are scraped for a known set of series (an absent counter
    // has not counted yet); a url target's endpoints for the series its scenario keeps, said as they are.
    const ours = report.target.kind === "reference";
    // In a fixed order (the gateway first, then by name), whichever scrape answered first.
    const order = (name: string) => (name === "gateway" ? "" : name);
    for (const [component, figures] of Object.entries(byComponent).sort(([a], [b]) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))) {
      if (ours && component === "gateway") facts.push(...gatewayFacts(figures));
      else if (ours && component.startsWith("provider-")) facts.push(providerFacts(component, figures, telemetry.lows[phase.name]?.[component] ?? {}));
      else {
        const generic = genericFacts(component, figures);
        if (generic) facts.push(generic);
      }
    }
    return { phase: phase.name, facts };
  });
}

function gatewayFacts(gateway: Record<string, number>): string[] {
  const facts: string[] = [];
  const sum = (name: string, by?: string) => {
    const parts = new Map<string, number>();
    for (const [key, value] of Object.entries(gateway)) {
      if (nameOf(key) !== name) continue;
      const part = by ? (labelOf(key, by) ?? "") : "";
      parts.set(part, (parts.get(part) ?? 0) + value);
    }
    return parts;
  };
  const breakers = [...sum("aire_gateway_breaker_state", "provider")].map(([p, state]) => `${p} ${BREAKER[state] ?? state}`);
  if (breakers.length > 0) facts.push(`breaker at worst: ${breakers.join(", ")}`);
  const retries = sum("aire_gateway_retries_total", "kind");
  const total = [...retries.values()].reduce((a, b) => a + b, 0);
  facts.push(`retries ${total}${total > 0 ? ` (${[...retries].map(([k, v]) => `${k} ${v}`).join(", ")})` : ""}`);
  const failed = [...sum("aire_gateway_upstream_attempts_total", "result")].filter(([r]) => r !== "ok" && r !== "").reduce((a, [, v]) => a + v, 0);
  facts.push(`failed upstream attempts ${failed}`);
  const shed = [...sum("aire_gateway_shed_total").values()][0] ?? 0;
  const limited = [...sum("aire_gateway_rate_limited_total").values()][0] ?? 0;
  if (shed > 0) facts.push(`shed ${shed}`);
  if (limited > 0) facts.push(`gateway 429s ${limited}`);
  const maxQueued = gateway["aire_gateway_queued"];
  if (maxQueued) facts.push(`gateway queue at most ${maxQueued}`);
  return facts;
}

function providerFacts(component: string, figures: Record<string, number>, lows: Record<string, number>): string {
  const own: string[] = [];
  const of = (name: string) => Object.entries(figures).filter(([k]) => nameOf(k) === name);
  const waiting = of("vllm:num_requests_waiting").reduce((a, [, v]) => Math.max(a, v), 0);
  if (waiting > 0) own.push(`up to ${waiting} waiting for a slot`);
  const injected = of("aire_provider_injected_errors_total").reduce((a, [, v]) => a + v, 0);
  if (injected > 0) own.push(`${injected} injected errors`);
  const refused = of("aire_provider_rate_limited_total").reduce((a, [, v]) => a + v, 0);
  if (refused > 0) own.push(`${refused} 429s`);
  const ready = figures["aire_provider_pods_ready"];
  const fewest = lows["aire_provider_pods_ready"];
  const pods = ready === undefined ? [] : [fewest !== undefined && fewest < ready ? `${fewest}–${ready} pods ready` : `${ready} pods ready`];
  return `${component.replace(/^provider-/, "")}: ${[...pods, ...own].join(", ") || "nothing of note"}`;
}

/** When the stack's own processes were starved: one sentence, or undefined. */
export function starvationNote(report: RunReport): string | undefined {
  const starvation = report.telemetry?.starvation;
  if (!starvation || starvation.seconds.length === 0) return undefined;
  const worst = [...starvation.seconds].sort((a, b) => b.lagMs - a.lagMs).slice(0, 3);
  const phases = [...new Set(starvation.seconds.flatMap((s) => s.phases))];
  return `the stack's own processes were starved by the machine in ${starvation.seconds.length} second(s) (event-loop stalls over ${starvation.budgetMs} ms: ${worst.map((s) => `${s.component} ${s.lagMs} ms before ${formatDuration(s.at)}`).join(", ")})${phases.length > 0 ? `; the windows of ${phases.join(", ")} are not judged` : ""}`;
}

/** A charted series as one value per second (the last scrape in each second; null where none). */
export function perSecond(points: readonly [number, number][], seconds: number): (number | null)[] {
  const out = new Array<number | null>(Math.max(0, seconds)).fill(null);
  for (const [t, v] of points) {
    const s = Math.floor(t / 1000);
    if (s >= 0 && s < out.length) out[s] = v;
  }
  return out;
}

/** The charted series, grouped: breakers per provider, and the queues. */
export function telemetryCharts(report: RunReport): { breakers: { name: string; points: [number, number][] }[]; queues: { name: string; points: [number, number][] }[] } {
  const series = report.telemetry?.series ?? [];
  const breakers = series.filter((s) => nameOf(s.key) === "aire_gateway_breaker_state").map((s) => ({ name: labelOf(s.key, "provider") ?? s.key, points: s.points }));
  const queues = series
    .filter((s) => nameOf(s.key) !== "aire_gateway_breaker_state")
    .map((s) => ({ name: s.component === "gateway" ? nameOf(s.key).replace("aire_gateway_", "gateway ").replace("_", " ") : `${s.component.replace(/^provider-/, "")} ${nameOf(s.key).replace("vllm:num_requests_", "")}`, points: s.points }));
  return { breakers, queues };
}

/** One line per probe: what it asked, how often, what it said (or why it could not be read). */
export function probeLines(report: RunReport): string[] {
  return (report.probes ?? []).map((p) => {
    const said = p.values ? (p.values.min === p.values.max ? `value ${p.values.last}` : `values ${p.values.min}–${p.values.max}, last ${p.values.last}`) : "no value";
    const unheard = p.unreadable > 0 ? `; could not be read ${p.unreadable} of ${p.readings} times (${p.firstError})` : "";
    return `probe.${p.name} (${p.kind}, ${p.mode}: ${p.asks}): ${p.readings} reading${p.readings === 1 ? "" : "s"}, ${said}${unheard}`;
  });
}

/** One line per export: where it went, what was taken, what was refused. */
export function exportLines(report: RunReport): string[] {
  return (report.exports ?? []).map((e) => `${e.kind} → ${e.url}: ${e.sent} sent${e.failed > 0 ? `, ${e.failed} failed (${e.firstError})` : ", none failed"}`);
}
