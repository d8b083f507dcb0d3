/**
 * `summary.md`: the run on one page of Markdown, for a CI job's summary ($GITHUB_STEP_SUMMARY)
 * or a postmortem: the verdict, each hypothesis with its numbers, the phases, the faults.
 * @module
 */
import { formatDuration } from "../harness/base/units.js";
import type { RunReport } from "../harness/results/run-report.js";
import { formatInterval, formatValue } from "./terminal.js";
import { exportLines, probeLines, starvationNote, telemetryFacts } from "./telemetry.js";

const icon: Record<string, string> = { PASS: "✅", FAIL: "❌", INCONCLUSIVE: "⚠️", INTERRUPTED: "⏹️", ERROR: "💥", ABORTED: "🛑", INCOMPLETE: "⚠️", NO_HYPOTHESES: "ℹ️" };

/** Table cells cannot hold a pipe or a line break. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(v === 1 || v === 0 ? 0 : 2)}%`);
const ms = (v: number | null) => (v === null ? "–" : formatDuration(v));

export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  out.push(`## ${icon[report.verdict] ?? ""} ${report.scenario.name}: ${report.verdict}`);
  out.push("");
  if (report.scenario.description) out.push(`${report.scenario.description}`, "");
  const scale = report.scenario.timeScale !== 1 ? ` · time scale ${report.scenario.timeScale}` : "";
  out.push(`Run \`${report.runId}\` · seed ${report.scenario.seed}${scale} · ${report.traffic.scheduled} requests (${report.traffic.arrival}) · gateway profile \`${String(report.target.gateway.profile ?? "-")}\``);
  if (report.error) out.push("", `> **${report.status}**: ${report.error}`);
  if (!report.traffic.valid) out.push("", `> **INVALID measurements**: ${report.traffic.invalidReason}`);
  const starved = starvationNote(report);
  if (starved) out.push("", `> **Starved stack**: ${starved}`);
  out.push("");
  if (report.hypotheses.length > 0) {
    out.push("### Hypotheses", "");
    out.push("| | hypothesis | window | assertion | observed | 95% CI | n |");
    out.push("|---|---|---|---|---|---|---|");
    for (const h of report.hypotheses) {
      h.assertions.forEach((a, i) => {
        const observed = a.observed === null ? "no data" : formatValue(a.observed, a.unit);
        const ci = formatInterval(a, " – ");
        const first = i === 0;
        out.push(`| ${first ? `${icon[h.verdict]} ${h.verdict}` : ""} | ${first ? cell(h.name) : ""} | ${first ? cell(h.during) : ""} | ${icon[a.verdict]} \`${cell(a.assertion)}\` | ${observed}${a.note ? ` (${cell(a.note)})` : ""} | ${ci} | ${a.samples} |`);
      });
      const notes = [h.reason, h.excluded ? `${h.excluded} requests left out: in flight when another phase's fault began` : undefined].filter(Boolean).join("; ");
      if (notes) out.push(`| | | | _${cell(notes)}_ | | | |`);
    }
    out.push("");
  }
  out.push("### Phases", "");
  out.push("| phase | duration | requests | availability | errors | ttft p50 | ttft p95 | e2e p95 | faults |");
  out.push("|---|---|---|---|---|---|---|---|---|");
  for (const p of report.phases) {
    const errors = Object.entries(p.errors).map(([k, v]) => `${k}: ${v}`).join(", ") || "0";
    out.push(`| ${cell(p.name)} | ${formatDuration(p.durationMs)} | ${p.requests} | ${pct(p.availability)} | ${errors} | ${ms(p.ttft.p50)} | ${ms(p.ttft.p95)} | ${ms(p.e2e.p95)} | ${cell(p.faults.join("; ")) || "–"} |`);
  }
  out.push("");
  const facts = telemetryFacts(report);
  if (facts.length > 0) {
    out.push("What the stack reported (its own /metrics, every second):", "", "| phase | reported |", "|---|---|");
    for (const f of facts) out.push(`| ${cell(f.phase)} | ${cell(f.facts.join("; "))} |`);
    out.push("");
  }
  const probes = probeLines(report);
  if (probes.length > 0) out.push("Probes (what the system answered when asked):", "", ...probes.map((l) => `- ${cell(l)}`), "");
  const exported = exportLines(report);
  if (exported.length > 0) out.push("Exports:", "", ...exported.map((l) => `- ${cell(l)}`), "");
  const cost = report.total.cost;
  const lag = report.traffic.scheduleLagMs;
  out.push(`Schedule lag p99 ${ms(lag.p99)} (max ${ms(report.traffic.maxScheduleLagMs)})${cost.total > 0 ? ` · cost $${cost.total.toFixed(4)} ($${(cost.per1kRequests ?? 0).toFixed(4)} per 1k requests)` : ""}`);
  out.push("");
  return out.join("\n");
}
