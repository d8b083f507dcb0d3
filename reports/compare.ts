/** `aire compare`'s table: what changed between two runs, from {@link compareRuns}. @module */
import type { Change, CompareResult } from "../harness/results/compare.js";
import { table } from "./terminal.js";

export function renderComparison(result: CompareResult): string {
  const mark: Record<Change, string> = { regression: "✗ worse", improvement: "✓ better", same: "≈ same", "n/a": "–" };
  const header = ["window", "metric", "A", "B", "B vs A", "change"];
  const rows = result.rows.map((r) => [r.window, r.metric, r.a, r.b, r.delta, mark[r.change]]);
  const out = [`A: ${result.a.runId} (${result.a.dir})`, `B: ${result.b.runId} (${result.b.dir})`, "", table([header, ...rows], 2), ""];
  for (const r of result.rows.filter((x) => x.change === "regression")) out.push(`regression: ${r.window} ${r.metric}: ${r.a} → ${r.b} (${r.why})`);
  out.push(result.regressions === 0 ? "no regression beyond noise and tolerance" : `${result.regressions} regression${result.regressions === 1 ? "" : "s"} beyond noise and tolerance`);
  return out.join("\n");
}
