/**
 * Report formats, each a pure function of the canonical {@link RunReport}.
 * @module
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunReport } from "../harness/results/run-report.js";
import { renderTerminal } from "./terminal.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderHtml } from "./html.js";
import { isGameday, renderGameday } from "./gameday.js";

export const reportFormats = {
  "summary.json": (report: RunReport) => `${JSON.stringify(report, null, 2)}\n`,
  "junit.xml": renderJunit,
  "summary.md": renderMarkdown,
  "report.html": renderHtml,
} as const satisfies Record<string, (report: RunReport) => string>;

/** Writes every report format into the results directory. */
export async function writeReports(dir: string, report: RunReport): Promise<void> {
  for (const [name, render] of Object.entries(reportFormats)) await writeFile(join(dir, name), render(report));
  // A game day's record, the skeleton of its postmortem.
  if (isGameday(report)) await writeFile(join(dir, "gameday.md"), renderGameday(report));
}

export { renderTerminal, renderJunit, renderMarkdown, renderHtml };
export { buildReport } from "../harness/results/build.js";
export { summarizeWindow, summarizeWindows, SCHEMA_VERSION, type RunEvent, type RunReport, type RunStatus, type PhaseSummary, type WindowSummary, type LatencySummary } from "../harness/results/run-report.js";
