/** `aire plan`: the resolved values and the phase/fault timeline, without sending anything. @module */
import { stringify } from "yaml";
import { faultDefinition } from "../faults/index.js";
import type { Schedule } from "../faults/schedule.js";
import type { LoadedScenario } from "./scenario/load.js";
import { describePolicy } from "./gateway/config.js";
import { arrivalModel, describeArrival, expectedArrivals } from "./traffic/arrival.js";
import { describeTokens } from "./traffic/distribution.js";
import { gatewayPolicy } from "./stack/reference-stack.js";
import { formatDuration } from "./units.js";

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
  if (s.hypotheses.length > 0) {
    lines.push("");
    lines.push("hypotheses:");
    for (const h of s.hypotheses) {
      lines.push(`  ${h.name} (during ${h.during}, at least ${h.minSamples} samples)`);
      for (const a of h.expect) lines.push(`    - ${a.text}`);
    }
  }
  lines.push("");
  lines.push("resolved values:");
  lines.push(stringify(s, { indent: 2 }).trimEnd().replace(/^/gm, "  "));
  return lines.join("\n");
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
