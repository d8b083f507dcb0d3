/**
 * `junit.xml`: one testsuite per scenario run, one testcase per hypothesis, in the shape CI systems
 * read (GitHub, GitLab, Jenkins): a FAIL is a `<failure>` carrying the numbers, an INCONCLUSIVE an
 * `<error>` (nothing was proven either way, and the job must not look green), and a run that could
 * not finish an `<error>` of its own testcase.
 * @module
 */
import type { AssertionResult, HypothesisResult } from "../harness/slo/score.js";
import type { RunReport } from "../harness/results/run-report.js";
import { formatInterval, formatValue } from "./terminal.js";

const escape = (text: string) =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // XML 1.0 cannot carry most control characters, even escaped.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

/** One assertion as a line: `✗ ttft.p95 < 800ms: observed 1.2s (n=400, 95% CI 1.1s–1.3s)`. */
export function assertionLine(a: AssertionResult): string {
  const observed = a.observed === null ? "no data" : formatValue(a.observed, a.unit);
  const ci = a.ci ? `, 95% CI ${formatInterval(a)}` : "";
  const threshold = a.threshold === null ? "none" : formatValue(a.threshold, a.unit);
  const baseline = a.baseline ? `, ${a.baseline.factor} × baseline ${a.baseline.value === null ? "none" : formatValue(a.baseline.value, a.unit)}` : "";
  return `${a.verdict} ${a.assertion}: observed ${observed}, threshold ${a.op} ${threshold}${baseline} (n=${a.samples}${ci})${a.note ? ` — ${a.note}` : ""}`;
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function testcase(report: RunReport, h: HypothesisResult): string {
  const phase = report.timeline.phases.find((p) => p.name === h.during);
  const time = phase ? seconds(phase.end - phase.start) : "0.000";
  const lines = h.assertions.map(assertionLine).join("\n");
  const head = `  <testcase name="${escape(h.name)}" classname="aire.${escape(report.scenario.name)}" time="${time}">`;
  const out = `\n      <system-out>${escape(`during ${h.during}, ${h.samples} requests\n${lines}`)}</system-out>`;
  if (h.verdict === "PASS") return `${head}${out}\n    </testcase>`;
  const failed = h.assertions.filter((a) => a.verdict === "FAIL");
  if (h.verdict === "FAIL") {
    const message = failed.map((a) => `${a.assertion} (observed ${a.observed === null ? "no data" : formatValue(a.observed, a.unit)})`).join("; ");
    return `${head}\n      <failure message="${escape(message)}" type="FAIL">${escape(lines)}</failure>${out}\n    </testcase>`;
  }
  return `${head}\n      <error message="${escape(`INCONCLUSIVE: ${h.reason ?? "not enough evidence"}`)}" type="INCONCLUSIVE">${escape(lines)}</error>${out}\n    </testcase>`;
}

export function renderJunit(report: RunReport): string {
  const cases = report.hypotheses.map((h) => testcase(report, h));
  let errors = report.hypotheses.filter((h) => h.verdict === "INCONCLUSIVE").length;
  // A run that did not complete is an error of its own, whatever its hypotheses say.
  if (report.status !== "completed") {
    errors++;
    const message = `${report.verdict}: ${report.error ?? report.status}`;
    cases.push(`  <testcase name="run completes" classname="aire.${escape(report.scenario.name)}" time="${seconds(report.timeline.lastSampleMs)}">\n      <error message="${escape(message)}" type="${report.verdict}">${escape(message)}</error>\n    </testcase>`);
  }
  const tests = cases.length;
  const failures = report.hypotheses.filter((h) => h.verdict === "FAIL").length;
  const time = seconds((Date.parse(report.endedAt) - Date.parse(report.startedAt)) || 0);
  const properties = [
    ["runId", report.runId],
    ["seed", String(report.scenario.seed)],
    ["verdict", report.verdict],
    ["scenario.file", report.scenario.file],
    ["timeScale", String(report.scenario.timeScale)],
    ["traffic.valid", String(report.traffic.valid)],
    ...report.scenario.set.map((s) => ["set", s]),
  ]
    .map(([name, value]) => `      <property name="${escape(name!)}" value="${escape(value!)}"/>`)
    .join("\n");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="aire" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${escape(report.scenario.name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${escape(report.startedAt.replace(/\.\d+Z$/, ""))}" hostname="localhost">`,
    `    <properties>\n${properties}\n    </properties>`,
    ...cases.map((c) => `  ${c}`),
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}
