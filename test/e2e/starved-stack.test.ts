/**
 * Issue 21's guard: the reference stack's processes simulate a system, so one that the machine
 * starved measured the machine. A provider front frozen for 1.2 s (SIGSTOP, then SIGCONT) during
 * the fault phase: the windows that second falls in are INCONCLUSIVE with the reason.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, test } from "vitest";
import { onlyRunDir, readEvents } from "../helpers/results.js";
import { startCli } from "../helpers/cli.js";

test("a provider front frozen for 1.2 s is a starved stack: its windows are not judged, and every report says why", async () => {
  const dir = await mkdtemp(join(tmpdir(), "aire-e2e-starved-"));
  let frozen: number | undefined;
  try {
    const { child, done } = startCli(["run", "scenarios/provider-latency.yaml", "--time-scale", "0.3", "--set", "traffic.arrival.rate=20/s", "--out", dir], { timeoutMs: 90_000 });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on("line", (line) => line.includes("fault on:") && resolve()));
    const events = await readEvents(await onlyRunDir(dir));
    const pid = (events as { type: string; component?: string; pid?: number }[]).find((e) => e.type === "component_ready" && e.component === "provider-secondary")!.pid!;
    process.kill(pid, "SIGSTOP"); // a child of the run this test started
    frozen = pid;
    await new Promise((r) => setTimeout(r, 1200));
    process.kill(pid, "SIGCONT");
    frozen = undefined;
    const result = await done;
    expect(result.code).toBe(1);
    const run = await onlyRunDir(dir);
    const summary = JSON.parse(await readFile(join(run, "summary.json"), "utf8"));
    const seconds = summary.telemetry.starvation.seconds as { component: string; lagMs: number; phases: string[] }[];
    expect(summary.telemetry.starvation.budgetMs).toBe(250);
    expect(seconds.find((s) => s.component === "provider-secondary" && s.lagMs >= 1000 && s.phases.includes("slow-primary"))).toBeDefined();
    const slow = summary.hypotheses.find((h: { during: string }) => h.during === "slow-primary");
    expect(slow.verdict).toBe("INCONCLUSIVE");
    expect(slow.reason).toMatch(/^the stack's own process \S+ was starved in the second before [\d.]+m?s: its event loop stalled \d+ ms \(budget 250 ms\), so this window measured the machine, not the system$/);
    expect(result.stdout).toMatch(/^warning: the stack's own processes were starved by the machine in \d+ second\(s\) \(event-loop stalls over 250 ms: provider-secondary \d+ ms before/m);
    expect(await readFile(join(run, "summary.md"), "utf8")).toMatch(/> \*\*Starved stack\*\*: the stack's own processes were starved/);
    expect(await readFile(join(run, "report.html"), "utf8")).toMatch(/<b>Starved stack<\/b>: the stack&#39;s own processes were starved|<b>Starved stack<\/b>: the stack's own processes were starved/);
  } finally {
    if (frozen !== undefined) process.kill(frozen, "SIGCONT");
    await rm(dir, { recursive: true, force: true });
  }
}, 90_000);
