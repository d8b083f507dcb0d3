/**
 * Report formats, each a pure function of the canonical {@link RunReport}.
 * @module
 */
import type { RunReport } from "./run-report.js";
import { renderTerminal } from "./terminal.js";

export const reportFormats = {
  "summary.json": (report: RunReport) => `${JSON.stringify(report, null, 2)}\n`,
} as const satisfies Record<string, (report: RunReport) => string>;

export { renderTerminal };
export { summarizeWindow, summarizeWindows, type RunReport, type RunStatus, type PhaseSummary, type WindowSummary, type LatencySummary } from "./run-report.js";
