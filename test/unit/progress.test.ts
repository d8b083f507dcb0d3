import { describe, expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { LiveStats } from "../../harness/results/live-stats.js";
import { Progress, type ProgressState } from "../../reports/progress.js";

const state = (over: Partial<ProgressState> = {}): ProgressState => ({ phase: "storm", phaseIndex: 2, phases: 3, elapsedMs: 12_500, totalMs: 40_000, rps: 19.96, ttftP95: 480, errorRate: 0.012, activeFaults: ["+800ms latency on primary"], ...over });

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, columns: 200, write: (t: string) => writes.push(t) }, writes };
}

describe("live progress", () => {
  test("the line says where the run is and how it is doing", () => {
    const { out, writes } = sink(false);
    new Progress(out).update(state(), 0);
    expect(writes).toEqual(["progress [storm 2/3] 12.5s of 40s · 20.0 req/s · ttft p95 480ms · errors 1.2% · faults: +800ms latency on primary\n"]);
  });

  test("not a terminal (CI logs): plain lines, one every 5 s at most", () => {
    const { out, writes } = sink(false);
    const progress = new Progress(out);
    for (let t = 0; t <= 12_000; t += 1000) progress.update(state({ elapsedMs: t }), t);
    expect(writes).toHaveLength(3);
    expect(writes.every((w) => w.startsWith("progress [") && w.endsWith("\n") && !w.includes("\r"))).toBe(true);
    progress.log("phase recovery (10s)");
    expect(writes.at(-1)).toBe("phase recovery (10s)\n");
  });

  test("a terminal: one status line redrawn in place; log lines go above it; cleared at the end", () => {
    const { out, writes } = sink(true);
    const progress = new Progress(out);
    progress.update(state(), 0);
    progress.update(state({ elapsedMs: 13_500 }), 1000);
    expect(writes.map((w) => w.startsWith("\r\x1b[K[storm 2/3]"))).toEqual([true, true]);
    progress.log("  fault off: +800ms latency on primary");
    // The terminal's erase-line escape is the point of this line.
    // eslint-disable-next-line no-control-regex
    expect(writes.at(-1)).toMatch(/^\r\x1b\[K {2}fault off: \+800ms latency on primary\n\[storm 2\/3\] 13\.5s/);
    progress.done();
    expect(writes.at(-1)).toBe("\r\x1b[K");
  });

  test("a narrow terminal gets the line cut, not wrapped", () => {
    const writes: string[] = [];
    new Progress({ isTTY: true, columns: 40, write: (t: string) => writes.push(t) }).update(state(), 0);
    expect(writes[0]!.length).toBe("\r\x1b[K".length + 39);
    expect(writes[0]!.endsWith("…")).toBe(true);
  });

  test("live stats: requests per second, ttft p95 and errors over the last whole seconds", () => {
    const live = new LiveStats(5);
    const sample = (ok: boolean, ttft: number): Sample => ({ id: 0, phase: "p", workload: "w", scheduledAt: 0, dispatchedAt: 0, sentAt: 0, status: ok ? 200 : 500, ok, ttft, e2e: ttft, e2eService: ttft, outputTokens: 1, tokenSource: "usage" });
    for (let s = 0; s < 10; s++) for (let i = 0; i < 20; i++) live.add(sample(i !== 0 || s < 5, s < 5 ? 100 : 300), s * 1000 + i * 10);
    // At 10.5 s: seconds 5–9, 20 requests each, one failure each, ttft 300 ms.
    expect(live.snapshot(10_500)).toEqual({ rps: 20, ttftP95: 300, errorRate: 0.05 });
    // Two seconds in, the rate is over the two seconds there were.
    const early = new LiveStats(5);
    for (let i = 0; i < 40; i++) early.add(sample(true, 100), i * 50);
    expect(early.snapshot(2000).rps).toBe(20);
  });
});
