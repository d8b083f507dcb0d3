/**
 * `gameday.md` from a report: the timeline of faults, the hold's Go, notes and actions in order,
 * the team's detection and mitigation beside aire's own time_to_detect and recovery_time.
 */
import { expect, test } from "vitest";
import type { RunReport } from "../../harness/results/run-report.js";
import { renderGameday } from "../../reports/gameday.js";

const assertion = (text: string, observed: number | null, verdict: string, note?: string) => ({ assertion: text, observed, op: "<", threshold: 10_000, unit: "ms", samples: 100, verdict, ...(note ? { note } : {}) });

/** The fields the record reads, as build.ts fills them. */
const report = (hypotheses: unknown[]) =>
  ({
    scenario: { name: "drill", file: "drill.yaml", seed: 7, timeScale: 1 },
    runId: "drill-1",
    startedAt: "2026-12-03T19:00:00.000Z",
    verdict: "PASS",
    timeline: {
      phases: [{ name: "live", start: 0, end: 20_000 }],
      faults: [{ name: "aire-drill-1-manual-1-latency", phase: "live", description: "+400ms latency", start: 4000, end: 9000 }],
      end: 20_000,
    },
    events: [
      { t: -41_000, type: "manual_action", detail: "go, after holding at start 41s (by facilitator-2)" },
      { t: 6000, type: "note", detail: "detected 2000 ms after the fault's start: alert fired (by facilitator-1)" },
      { t: 10_000, type: "note", detail: "mitigated 6000 ms after the fault's start: traffic shifted (by facilitator-1)" },
    ],
    hypotheses,
  }) as unknown as RunReport;

test("the record: the Go first, faults by hand and notes in order; the team's detection beside aire's own", () => {
  const md = renderGameday(report([
    { name: "notices", during: "run", verdict: "PASS", samples: 200, assertions: [assertion("time_to_detect(error_rate > 1%) < 10s", 3000, "PASS"), assertion("recovery_time(ttft.p95 < 300ms) < 10s", 2000, "PASS", "ttft.p95 < 300 held from 2 s after the last fault ended")] },
  ]));
  const timeline = md.slice(md.indexOf("| time |"), md.indexOf("## Detection"));
  expect(timeline.split("\n").filter((l) => l.startsWith("| +")).map((l) => l.split(" | ").slice(1).join(" | "))).toEqual([
    "**Go**: after holding at start 41s | facilitator-2 |",
    "phase **live** (20s) | scenario |",
    "fault on: +400ms latency | facilitator |",
    "note: detected 2000 ms after the fault's start: alert fired | facilitator-1 |",
    "fault off: +400ms latency | facilitator |",
    "note: mitigated 6000 ms after the fault's start: traffic shifted | facilitator-1 |",
  ]);
  const detection = md.slice(md.indexOf("## Detection"), md.indexOf("## Hypotheses"));
  expect(detection).toContain("- +6s: detected 2000 ms after the fault's start: alert fired (by facilitator-1)");
  expect(detection).toContain("- `time_to_detect(error_rate > 1%) < 10s`: 3s — **PASS** (notices)");
  expect(detection).toContain("- `recovery_time(ttft.p95 < 300ms) < 10s`: 2s — **PASS** (notices); ttft.p95 < 300 held from 2 s after the last fault ended");
});

test("without time_to_detect or recovery_time in the hypotheses the record says how to have them", () => {
  const md = renderGameday(report([{ name: "up", during: "run", verdict: "PASS", samples: 200, assertions: [{ ...assertion("availability >= 99%", 1, "PASS"), unit: "ratio", op: ">=" }] }]));
  expect(md).toContain("aire measured no `time_to_detect` or `recovery_time` (state one in a hypothesis to have it here, beside the team's).");
});
