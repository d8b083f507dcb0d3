/**
 * `gameday.md`: the record of a game day (`aire gameday`), the skeleton of its postmortem — the
 * timeline of faults (scheduled and injected by hand), the facilitator's actions and the team's
 * notes in order, what was detected and mitigated when, the hypotheses and their verdicts, and
 * empty sections for findings and action items. A pure function of the run's report, so
 * `aire report <dir>` rebuilds it.
 * @module
 */
import { formatDuration } from "../harness/base/units.js";
import type { RunReport } from "../harness/results/run-report.js";
import { formatValue } from "./terminal.js";

/** Whether the run was a game day (its events say so). */
export function isGameday(report: RunReport): boolean {
  return report.events.some((e) => e.type === "gameday");
}

const at = (ms: number) => `+${formatDuration(Math.max(0, Math.round(ms)))}`;

export function renderGameday(report: RunReport): string {
  const manual = (name: string) => /-manual-\d+-/.test(name);
  const lines = [
    `# Game day: ${report.scenario.name} — ${report.verdict}`,
    "",
    `Run \`${report.runId}\`, started ${report.startedAt}, from \`${report.scenario.file}\` (seed ${report.scenario.seed}${report.scenario.timeScale !== 1 ? `, time scale ${report.scenario.timeScale}` : ""}). Times are from the start of the traffic.`,
    "",
    "## Timeline",
    "",
    "| time | what | by |",
    "|---|---|---|",
  ];
  type Row = { t: number; what: string; by: string };
  const rows: Row[] = [];
  for (const p of report.timeline.phases) rows.push({ t: p.start, what: `phase **${p.name}** (${formatDuration(p.end - p.start)})`, by: "scenario" });
  for (const f of report.timeline.faults) {
    rows.push({ t: f.start, what: `fault on: ${f.description}`, by: manual(f.name) ? "facilitator" : "scenario" });
    if (f.end !== null) rows.push({ t: f.end, what: `fault off: ${f.description}`, by: manual(f.name) ? "facilitator" : "scenario" });
  }
  for (const e of report.events) {
    if (e.type === "note") rows.push({ t: e.t, what: `note: ${e.detail.replace(/ \(by [^)]*\)$/, "")}`, by: /\(by ([^)]*)\)$/.exec(e.detail)?.[1] ?? "" });
    if (e.type === "manual_action" && /^stop everything/.test(e.detail)) rows.push({ t: e.t, what: "**stop everything**", by: /\(by ([^)]*)\)$/.exec(e.detail)?.[1] ?? "" });
    if (e.type === "manual_action" && /^go, /.test(e.detail)) rows.push({ t: e.t, what: `**Go**: ${e.detail.replace(/^go, /, "").replace(/ \(by [^)]*\)$/, "")}`, by: /\(by ([^)]*)\)$/.exec(e.detail)?.[1] ?? "" });
    if (e.type === "abort" || e.type === "interrupt" || e.type === "error") rows.push({ t: e.t, what: `${e.type}: ${e.detail}`, by: "aire" });
  }
  rows.sort((a, b) => a.t - b.t);
  for (const r of rows) lines.push(`| ${at(r.t)} | ${r.what.replace(/\|/g, "\\|")} | ${r.by} |`);
  lines.push("", "## Detection and mitigation", "");
  const marks = report.events.filter((e) => e.type === "note" && /^(detected|mitigated) /.test(e.detail));
  if (marks.length === 0) lines.push("No note was marked *detected* or *mitigated*.");
  else for (const m of marks) lines.push(`- ${at(m.t)}: ${m.detail}`);
  // Beside the team's: what aire itself measured of detection and recovery (from the first fault's start, the last one's end).
  const own = report.hypotheses.flatMap((h) => h.assertions.filter((a) => /^(recovery_time|time_to_detect)\b/.test(a.assertion)).map((a) => ({ h, a })));
  lines.push("");
  if (own.length === 0) lines.push("aire measured no `time_to_detect` or `recovery_time` (state one in a hypothesis to have it here, beside the team's).");
  else {
    lines.push("aire's own measures:", "");
    for (const { h, a } of own) lines.push(`- \`${a.assertion}\`: ${a.observed === null ? "not measured" : formatValue(a.observed, a.unit)} — **${a.verdict}** (${h.name})${a.note ? `; ${a.note}` : ""}`);
  }
  lines.push("", "## Hypotheses", "");
  if (report.hypotheses.length === 0) lines.push("The scenario states none.");
  for (const h of report.hypotheses) {
    lines.push(`- **${h.verdict}** ${h.name} (during ${h.during}, ${h.samples} requests)`);
    for (const a of h.assertions) lines.push(`  - ${a.assertion}: observed ${a.observed === null ? "nothing" : formatValue(a.observed, a.unit)} (n=${a.samples})`);
  }
  lines.push("", "## Findings", "", "<!-- What did we learn? What surprised us? -->", "", "## Action items", "", "| item | owner | due |", "|---|---|---|", "|  |  |  |", "");
  return lines.join("\n");
}
