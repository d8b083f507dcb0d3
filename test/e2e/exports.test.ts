/**
 * Export while running (issue 21), each against a real receiver: aire's client-side metrics by
 * Prometheus remote write into a real Prometheus (Debian's package; skipped, saying why, without
 * it), queryable with the run, scenario, phase and fault as labels, counts equal to the run's own,
 * and every query of dashboards/aire-grafana.json answering; the same metrics by OTLP/HTTP (the
 * OpenTelemetry SDK) into an in-test receiver that decodes the payload; the phases and the fault
 * as Grafana annotations through its HTTP API (an in-test server speaking it, with the token from
 * the environment); and receivers that are down: the run goes on, its verdict unchanged, each
 * failure counted.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHttpServer } from "../../harness/base/net/http-server.js";
import { closedPort, ROOT, runCli } from "../helpers/cli.js";
import { prometheusMissing, startPrometheus } from "../helpers/prometheus.js";
import { onlyRunDir } from "../helpers/results.js";

if (prometheusMissing) console.log(`remote write tests skipped: ${prometheusMissing}`);

let root: string;
beforeAll(async () => void (root = await mkdtemp(join(tmpdir(), "aire-exports-"))));
afterAll(async () => rm(root, { recursive: true, force: true }));

const scenario = (exports: string) => `apiVersion: aire/v1
name: exported
seed: 9
target:
  reference:
    providers:
      - { name: primary, slotsPerPod: 16, ttft: 20ms, decodeTokensPerSec: 400 }
      - { name: secondary, slotsPerPod: 16, ttft: 20ms, decodeTokensPerSec: 400 }
traffic:
  model: aire-chat
  arrival: { rate: 25/s }
  mix: [ { name: chat, promptTokens: 40, maxTokens: 8 } ]
phases:
  - { name: calm, duration: 2s }
  - name: slow
    duration: 2s
    faults: [ { kind: latency, proxy: primary, latency: 150ms } ]
  - { name: after, duration: 1500ms }
hypotheses:
  - { name: answers, during: run, minSamples: 50, expect: [ "availability >= 90%" ] }
# What is tested is the exports, not this machine: a loaded CI runner's stalls (259 ms seen) must
# not turn the verdict INCONCLUSIVE, so the noise guards are wider than their defaults here.
limits: { stackLag: 1s, scheduleLag: { p99: 500ms } }
export:
${exports}
`;

interface OtlpPoint { attributes: { key: string; value: { stringValue?: string } }[]; count: string | number; sum?: number }
interface OtlpPayload { resourceMetrics: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeMetrics: { metrics: { name: string; unit: string; histogram?: { dataPoints: OtlpPoint[]; aggregationTemporality: number } }[] }[] }[] }
const attr = (list: { key: string; value: { stringValue?: string } }[], key: string) => list.find((a) => a.key === key)?.value.stringValue;

describe("exports while running", () => {
  test.skipIf(prometheusMissing !== undefined)("remote write into a real Prometheus, OTLP/HTTP decoded, Grafana annotations: each with the run's own numbers", async () => {
    await using prom = await startPrometheus();
    const otlp: OtlpPayload[] = [];
    const annotations: { method: string; url: string; auth?: string; body: Record<string, unknown> }[] = [];
    let nextId = 1;
    await using receiver = await startHttpServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      if (req.url === "/v1/metrics") {
        expect(req.headers["content-type"]).toMatch(/application\/json/);
        otlp.push(JSON.parse(body) as OtlpPayload);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else if (req.url?.startsWith("/api/annotations")) {
        annotations.push({ method: req.method!, url: req.url, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(req.method === "POST" ? { id: nextId++, message: "Annotation added" } : { message: "Annotation patched" }));
      } else res.writeHead(404).end();
    });
    const file = join(root, "exported.yaml");
    await writeFile(file, scenario(`  prometheus: { url: "${prom.url}/api/v1/write", interval: 1s }
  otlp: { url: "${receiver.url}/v1/metrics", interval: 1s }
  grafana: { url: "${receiver.url}", tokenEnv: AIRE_TEST_GRAFANA_TOKEN, dashboardUid: aire-runs, tags: [ test ] }`));
    const out = join(root, "out");
    const run = await runCli(["run", file, "--out", out], { timeoutMs: 90_000, env: { AIRE_TEST_GRAFANA_TOKEN: "glsa_test_token" } });
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);
    const dir = await onlyRunDir(out);
    const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8"));
    const runId: string = summary.runId;
    const requests: number = summary.total.requests;
    const ok = Math.round(summary.total.requests * summary.total.availability);
    expect(summary.exports.map((e: { kind: string; failed: number }) => [e.kind, e.failed])).toEqual([["prometheus", 0], ["otlp", 0], ["grafana", 0]]);
    expect(summary.exports[0].sent).toBeGreaterThanOrEqual(5);
    // The token never reaches the results.
    for (const f of ["events.jsonl", "summary.json", "scenario.resolved.yaml"]) expect(await readFile(join(dir, f), "utf8")).not.toContain("glsa_test_token");

    // Remote write: the run's requests, by phase and fault, exactly.
    const count = async (expr: string) => (await prom.query(expr)).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    const byPhase = await count(`sum by (aire_phase) (last_over_time(gen_ai_client_operation_duration_seconds_count{aire_run_id="${runId}"}[10m]))`);
    const phases = Object.fromEntries(byPhase.map((r) => [r.labels.aire_phase, r.value]));
    expect(phases).toEqual(Object.fromEntries(summary.phases.map((p: { name: string; requests: number }) => [p.name, p.requests])));
    const ttft = await count(`sum(last_over_time(gen_ai_client_operation_time_to_first_chunk_seconds_count{aire_run_id="${runId}", aire_scenario="exported"}[10m]))`);
    expect(ttft[0]!.value).toBe(ok);
    // Requests due while the latency fault was on carry its name.
    const faulted = await count(`sum by (aire_fault) (last_over_time(gen_ai_client_operation_duration_seconds_count{aire_run_id="${runId}"}[10m]))`);
    const faults = Object.fromEntries(faulted.map((r) => [r.labels.aire_fault ?? "", r.value]));
    expect(Object.keys(faults).sort()).toEqual(["", summary.timeline.faults[0].name].sort());
    expect(faults[summary.timeline.faults[0].name]).toBeGreaterThan(30);
    expect(Object.values(faults).reduce((a, b) => a + b, 0)).toBe(requests);

    // Every query of the shipped dashboard answers with data for this run.
    const dashboard = JSON.parse(await readFile(join(ROOT, "dashboards/aire-grafana.json"), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll("$run_id", runId).replaceAll("$__rate_interval", "1m");
        const res = await fetch(`${prom.url}/api/v1/query_range?${new URLSearchParams({ query: expr, start: String(Date.now() / 1000 - 120), end: String(Date.now() / 1000), step: "1" })}`);
        const body = (await res.json()) as { status: string; data: { result: unknown[] } };
        expect(body.status, `${panel.title}: ${expr}`).toBe("success");
        // Errors are absent from a healthy run: its panel answers, with no series.
        if (!panel.title.startsWith("Failed")) expect(body.data.result.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
      }
    }

    // OTLP: the SDK's payloads decoded; cumulative, so the last one holds the whole run.
    expect(otlp.length).toBeGreaterThanOrEqual(3);
    const last = otlp.at(-1)!.resourceMetrics[0]!;
    expect(attr(last.resource.attributes, "service.name")).toBe("aire");
    expect(attr(last.resource.attributes, "aire.run_id")).toBe(runId);
    const metrics = Object.fromEntries(last.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.name, m]));
    expect(Object.keys(metrics).sort()).toEqual(["gen_ai.client.operation.duration", "gen_ai.client.operation.time_per_output_chunk", "gen_ai.client.operation.time_to_first_chunk", "gen_ai.client.token.usage"]);
    const duration = metrics["gen_ai.client.operation.duration"]!;
    expect(duration.unit).toBe("s");
    expect(duration.histogram!.aggregationTemporality).toBe(2); // cumulative
    expect(duration.histogram!.dataPoints.reduce((n, p) => n + Number(p.count), 0)).toBe(requests);
    const point = duration.histogram!.dataPoints[0]!;
    expect(attr(point.attributes, "gen_ai.operation.name")).toBe("chat");
    expect(attr(point.attributes, "gen_ai.request.model")).toBe("aire-chat");
    expect(attr(point.attributes, "aire.run_id")).toBe(runId);
    expect(summary.phases.map((p: { name: string }) => p.name)).toContain(attr(point.attributes, "aire.phase"));
    const tokens = metrics["gen_ai.client.token.usage"]!.histogram!.dataPoints;
    expect(new Set(tokens.map((p) => attr(p.attributes, "gen_ai.token.type")))).toEqual(new Set(["input", "output"]));

    // Grafana: a region per phase and one for the fault, opened and closed, with the token.
    const posts = annotations.filter((a) => a.method === "POST");
    expect(annotations.every((a) => a.auth === "Bearer glsa_test_token")).toBe(true);
    expect(posts.filter((p) => (p.body.tags as string[])[1] === "phase")).toHaveLength(3);
    expect(posts.filter((p) => (p.body.tags as string[])[1] === "fault")).toHaveLength(1);
    for (const p of posts) {
      expect(p.body.tags).toEqual(expect.arrayContaining(["aire", "exported", runId, "test"]));
      expect(p.body.dashboardUID).toBe("aire-runs");
    }
    const patches = annotations.filter((a) => a.method === "PATCH");
    expect(patches.map((p) => p.url).sort()).toEqual(["/api/annotations/1", "/api/annotations/2", "/api/annotations/3", "/api/annotations/4"]);
    // The fault's region spans its two seconds.
    const faultPost = posts.findIndex((p) => (p.body.tags as string[])[1] === "fault");
    const faultEnd = patches.find((p) => p.url === `/api/annotations/${faultPost + 1}`)!;
    const span = (faultEnd.body.timeEnd as number) - (posts[faultPost]!.body.time as number);
    expect(span).toBeGreaterThan(1800);
    expect(span).toBeLessThan(2600);
    expect(run.stdout).toMatch(/exports:\n  prometheus → http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: \d+ sent, none failed/);
    expect(await readFile(join(dir, "report.html"), "utf8")).toMatch(/<h3>Exports<\/h3>.*otlp → http:\/\/127\.0\.0\.1:\d+\/v1\/metrics: \d+ sent, none failed/s);
  }, 120_000);

  test("receivers that are down: the run goes on and keeps its verdict; each failure is counted and said once", async () => {
    const [a, b, c] = [await closedPort(), await closedPort(), await closedPort()];
    const file = join(root, "down.yaml");
    await writeFile(file, scenario(`  prometheus: { url: "http://127.0.0.1:${a}/api/v1/write", interval: 1s }
  otlp: { url: "http://127.0.0.1:${b}/v1/metrics", interval: 1s }
  grafana: { url: "http://127.0.0.1:${c}", tokenEnv: AIRE_TEST_GRAFANA_TOKEN }`));
    const out = join(root, "down");
    const run = await runCli(["run", file, "--out", out], { timeoutMs: 90_000, env: { AIRE_TEST_GRAFANA_TOKEN: "t" } });
    expect(run.code, run.stdout).toBe(0);
    const summary = JSON.parse(await readFile(join(await onlyRunDir(out), "summary.json"), "utf8"));
    expect(summary.verdict).toBe("PASS");
    for (const e of summary.exports) {
      expect(e.sent).toBe(0);
      expect(e.failed).toBeGreaterThan(0);
      expect(e.firstError).toBeTruthy();
    }
    for (const kind of ["prometheus", "otlp", "grafana"]) expect(run.stdout.split("\n").filter((l) => l.startsWith(`warning: export ${kind}:`))).toHaveLength(1);
    // Without the token's variable the run does not start.
    const refused = await runCli(["run", file, "--out", out], { timeoutMs: 30_000, env: { AIRE_TEST_GRAFANA_TOKEN: "" } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/AIRE_TEST_GRAFANA_TOKEN is not set/);
  }, 120_000);
});
