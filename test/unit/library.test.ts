/**
 * The scenario library (scenarios/*.yaml), in full and in quick form: each loads, and `aire plan`
 * finds every rate hypothesis decidable with the requests its window will hold. In-process (the
 * loader and the plan are what `aire validate` and `aire plan` print; cli.test.ts runs those as
 * processes): 26 CLI processes cost 12 s of the suite's serial part.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { planText } from "../../harness/commands/plan.js";
import { formatIssue, loadScenarioFile } from "../../harness/scenario/load.js";

const scenarios = (await readdir("scenarios")).filter((f) => f.endsWith(".yaml")).map((f) => join("scenarios", f));

test("the twelve game days of the library (issue 9), at least", () => {
  expect(scenarios.length).toBeGreaterThanOrEqual(12);
});

test.each(scenarios.flatMap((file) => [[file, false] as const, [file, true] as const]))("%s (quick: %s): valid, and every rate hypothesis can be decided", async (file, quick) => {
  const result = await loadScenarioFile(file, { quick });
  expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  if (!result.ok) return;
  expect(planText(result.value)).not.toMatch(/! cannot PASS/);
});

test("aire plan says what each probe asks and when, and where the exports go", async () => {
  const outage = await loadScenarioFile("scenarios/provider-outage-failover.yaml", {});
  const burst = await loadScenarioFile("scenarios/error-burst-5xx.yaml", { set: ["export.prometheus.url=http://127.0.0.1:9090/api/v1/write", "export.grafana.url=http://127.0.0.1:3000", "export.grafana.tokenEnv=GRAFANA_TOKEN"] });
  if (!outage.ok || !burst.ok) throw new Error("the library's scenarios load");
  expect(planText(outage.value)).toContain('probes (what the system is asked):\n  probe.primary-breaker: metrics aire_gateway_breaker_state{provider="primary"} of gateway, every 500ms while the traffic runs (timeout 2s)\n');
  expect(planText(burst.value)).toContain("  probe.gateway-ready: http GET gateway /readyz, before the traffic and after it (timeout 2s)\n");
  expect(planText(burst.value)).toContain("exports while running:\n  prometheus remote write to http://127.0.0.1:9090/api/v1/write every 5s\n  Grafana annotations at http://127.0.0.1:3000 (token from $GRAFANA_TOKEN)\n");
});
