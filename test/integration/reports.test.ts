import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { validateXML } from "xmllint-wasm";
import type { Sample } from "../../harness/metrics/sample.js";
import { sampleLine } from "../../harness/results/recorder.js";
import { buildReport, writeReports, type RunReport } from "../../reports/index.js";
import { generateSummarySchema } from "../../reports/schema.js";
import { compareRuns } from "../../harness/results/compare.js";
import { runCli } from "../helpers/cli.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const scenario = `apiVersion: aire/v1
name: synthetic
description: a results directory written by the test, as a run would write it
seed: 7
target:
  reference:
    providers:
      - { name: primary }
      - { name: secondary }
traffic:
  arrival: { type: constant, rate: 20/s }
  mix: [ { name: chat, stream: true, promptTokens: 50, maxTokens: 10 } ]
phases:
  - { name: baseline, duration: 4s }
  - name: storm
    duration: 6s
    faults:
      - { kind: latency, proxy: primary, latency: 800ms, schedule: { at: 1s, for: 4s } }
  - { name: recovery, duration: 6s }
hypotheses:
  - name: baseline is healthy
    during: baseline
    expect: [ "ttft.p50 < 200ms", "availability >= 95%" ]
  - name: users barely notice the fault
    during: fault
    expect: [ "availability >= 99%", "ttft.p95 < 500ms" ]
  - name: quick recovery
    after: fault + 1s
    expect: [ "ttft.p95 <= 1.5 * baseline", "recovery_time(ttft.p95 <= 1.5 * baseline) < 3s" ]
`;

/** 20 requests/s for 16 s; while the fault is on (5–9 s) ttft is 900 ms and 10% fail with 5xx. */
function samples(): Sample[] {
  return Array.from({ length: 320 }, (_, i) => {
    const t = i * 50;
    const phase = t < 4000 ? "baseline" : t < 10_000 ? "storm" : "recovery";
    const faulty = t >= 5000 && t < 9000;
    const failed = faulty && i % 10 === 0;
    const ttft = faulty ? 900 : 100 + (i % 7);
    const sample: Sample = { id: i, phase, workload: "chat", scheduledAt: t, dispatchedAt: t + 0.1, sentAt: t + 0.2, status: failed ? 503 : 200, ok: !failed, e2e: ttft + 180, e2eService: ttft + 179.8, outputTokens: 10, tokenSource: "usage", provider: faulty ? "secondary" : "primary", attempts: 1 };
    if (failed) return { ...sample, errorClass: "http_5xx", error: "HTTP 503", outputTokens: 0, e2e: 30, e2eService: 29 };
    return { ...sample, ttft, ttfb: ttft - 5, ttftService: ttft - 0.2, tpot: 20, maxStall: 21, gaps: Array.from({ length: 9 }, (_, k) => 19 + (k % 3)), finishReason: "stop" };
  });
}

/** Writes a results directory as `aire run` does; `killed` stops the files where a SIGKILL in the storm would. */
async function resultsDir(killed = false, mutate: (s: Sample) => Sample = (x) => x): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "aire-reports-"));
  await writeFile(join(dir, "scenario.resolved.yaml"), `# aire resolved scenario: run synthetic-1\n${scenario}`);
  const ts = "2026-11-23T10:00:00.000Z";
  const events: Record<string, unknown>[] = [
    { t: 0, type: "run_start", runId: "synthetic-1", file: "synthetic.yaml", seed: 7, sha256: "0", set: [], timeScale: 1 },
    { t: 80, type: "traffic_start", t0: 100.5, arrival: "constant 20/s", meanRatePerSec: 20, lagBudget: { p99: 100, max: 1000 }, gateway: { profile: "resilient" } },
    { t: 101, type: "phase_start", phase: "baseline" },
    { t: 4101, type: "phase_start", phase: "storm" },
    { t: 5100, type: "fault_apply", phase: "storm", fault: "aire-synthetic-1-storm-0-latency", description: "+800ms latency on primary" },
    { t: 5101, type: "fault_applied", fault: "aire-synthetic-1-storm-0-latency" },
    { t: 9100, type: "fault_revert", fault: "aire-synthetic-1-storm-0-latency" },
    { t: 9101, type: "fault_reverted", fault: "aire-synthetic-1-storm-0-latency" },
    { t: 10_101, type: "phase_start", phase: "recovery" },
    { t: 16_101, type: "phase_end", phase: "recovery" },
    { t: 17_000, type: "traffic_end", scheduled: 320, completed: 320, cancelled: 0, maxScheduleLagMs: 1.2, scheduleLagMs: { p50: 0.1, p99: 0.9, max: 1.2 }, eventLoopLagMs: { p99: 0.5, max: 2 } },
    { t: 17_500, type: "run_status", status: "completed" },
  ];
  const written = killed ? events.filter((e) => (e.t as number) < 7000) : events;
  await writeFile(join(dir, "events.jsonl"), written.map((e) => JSON.stringify({ ts, ...e })).join("\n") + "\n");
  const all = samples().map(mutate);
  const kept = killed ? all.filter((s) => s.scheduledAt < 6800) : all;
  await writeFile(join(dir, "samples.jsonl"), kept.map((s) => sampleLine(s)).join("\n") + "\n");
  return dir;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function built(killed = false): Promise<{ dir: string; report: RunReport }> {
  const dir = await resultsDir(killed);
  dirs.push(dir);
  const report = await buildReport(dir);
  await writeReports(dir, report);
  return { dir, report };
}

describe("summary.json from the raw files", () => {
  test("phases, fault timeline and verdicts come out of events.jsonl and samples.jsonl", async () => {
    const { report } = await built();
    expect(report).toMatchObject({ schemaVersion: 2, status: "completed", runId: "synthetic-1", exitCode: 1, verdict: "FAIL" });
    expect(report.timeline.faults).toEqual([{ name: "aire-synthetic-1-storm-0-latency", phase: "storm", description: "+800ms latency on primary", start: 5000.5, end: 9000.5 }]);
    expect(report.phases.map((p) => [p.name, p.requests])).toEqual([["baseline", 80], ["storm", 120], ["recovery", 120]]);
    // The pooled gaps came back from samples.jsonl.
    expect(report.total.itl.count).toBe(9 * (320 - 8));
    const [baseline, fault, recovery] = report.hypotheses;
    expect(baseline).toMatchObject({ verdict: "PASS", samples: 80 });
    expect(fault).toMatchObject({ verdict: "FAIL", samples: 80 });
    expect(fault!.assertions.map((a) => a.verdict)).toEqual(["FAIL", "FAIL"]);
    expect(recovery).toMatchObject({ verdict: "PASS", during: "after fault + 1s" });
    expect(recovery!.assertions[1]).toMatchObject({ observed: 1000, verdict: "PASS" });
    expect(report.events.map((e) => e.type)).toEqual(["traffic_start", "phase_start", "phase_start", "fault_applied", "fault_reverted", "phase_start", "phase_end", "traffic_end"]);
  });

  test("it validates against the published JSON Schema, which is what the RunReport type generates", async () => {
    const { report } = await built();
    const committed = JSON.parse(await readFile(join(root, "reports/summary.schema.json"), "utf8"));
    expect(committed).toEqual(generateSummarySchema(root));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true);
    // A schema that accepts anything proves nothing: a report missing its verdict is refused.
    const { verdict: _verdict, ...broken } = report;
    expect(validate(broken)).toBe(false);
  }, 30_000);

  test("a run killed mid-phase still gives a readable report, marked INCOMPLETE, with what it recorded", async () => {
    const dir = await resultsDir(true);
    dirs.push(dir);
    // The SIGKILL tore the last line in half.
    await appendFile(join(dir, "samples.jsonl"), '{"id":999,"phase":"sto');
    const report = await buildReport(dir);
    expect(report).toMatchObject({ status: "incomplete", verdict: "INCOMPLETE", exitCode: 3, unreadableLines: 1 });
    expect(report.error).toMatch(/stopped before it finished/);
    expect(report.phases.find((p) => p.name === "storm")!.requests).toBe(56);
    expect(report.timeline.faults[0]!.end).toBeNull();
    await writeReports(dir, report);
    const junit = await readFile(join(dir, "junit.xml"), "utf8");
    expect(junit).toMatch(/<testcase name="run completes"[^>]*>\s*<error message="INCOMPLETE: the run stopped/);
  });
});

describe("relative thresholds against a stored run", () => {
  test("k * baseline compares with the stored run's same window instead of this run's baseline phase", async () => {
    const stored = await resultsDir();
    const slower = await resultsDir(false, (x) => (x.ok ? { ...x, ttft: x.ttft! * 2 } : x));
    dirs.push(stored, slower);
    // Against its own baseline phase (also twice as slow) the slower run recovers…
    const own = await buildReport(slower);
    expect(own.hypotheses[2]!.assertions[0]).toMatchObject({ verdict: "PASS", baseline: { window: "baseline" } });
    // …against the stored run's "after fault + 1s" window it is twice as slow: FAIL.
    const report = await buildReport(slower, { baselineDir: stored });
    expect(report.baselineRun).toEqual({ runId: "synthetic-1", dir: stored });
    expect(report.hypotheses[2]!.assertions[0]).toMatchObject({ verdict: "FAIL", observed: 212.1, threshold: 159, baseline: { value: 106, factor: 1.5, window: "after fault + 1s of run synthetic-1" } });
    const cli = await runCli(["report", slower, "--baseline", stored]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/✗ ttft\.p95 <= 1\.5 \* baseline\s+observed 212ms \(n=\d+, 95% CI [^,]+, baseline 106ms\)/);
  }, 30_000);
});

describe("aire compare", () => {
  const slower = (factor: number) => (x: Sample): Sample => (x.ok ? { ...x, ttft: x.ttft! * factor, e2e: x.e2e * factor } : x);

  test("a run against itself, or against one 3% slower, shows no regression", async () => {
    const a = await resultsDir();
    const b = await resultsDir(false, slower(1.03));
    dirs.push(a, b);
    expect((await compareRuns(a, a)).regressions).toBe(0);
    const result = await compareRuns(a, b);
    expect(result.regressions).toBe(0);
    expect(result.rows.find((r) => r.window === "baseline" && r.metric === "ttft.p50")).toMatchObject({ change: "same", delta: expect.stringMatching(/^\+(2\.9|3\.0|3\.1)%$/) });
  });

  test("TTFT 50% slower and errors in the baseline are regressions; the CLI exits 1 and says why", async () => {
    const a = await resultsDir();
    const b = await resultsDir(false, (x) => (x.phase === "baseline" && x.id % 5 === 0 ? { ...x, ok: false, errorClass: "timeout", status: null } : slower(1.5)(x)));
    dirs.push(a, b);
    const result = await compareRuns(a, b);
    const worse = result.rows.filter((r) => r.change === "regression").map((r) => `${r.window} ${r.metric}`);
    expect(worse).toEqual(expect.arrayContaining(["baseline error_rate", "baseline ttft.p50", "recovery ttft.p50", 'baseline hypothesis "baseline is healthy"']));
    const cli = await runCli(["compare", a, b]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/regression: baseline ttft\.p50: 103ms → 155ms \(B's 95% CI/);
    const same = await runCli(["compare", a, a, "--tolerance", "5%"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/no regression beyond noise and tolerance/);
    const bad = await runCli(["compare", a, join(a, "nowhere")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no such results directory/);
  }, 30_000);
});

describe("junit.xml", () => {
  test("validates against the JUnit shape CI systems read; FAIL carries the numbers", async () => {
    const { dir } = await built();
    const xml = await readFile(join(dir, "junit.xml"), "utf8");
    const xsd = await readFile(join(root, "test/fixtures/junit.xsd"), "utf8");
    const result = await validateXML({ xml: [{ fileName: "junit.xml", contents: xml }], schema: [xsd] });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(xml).toMatch(/<testsuite name="synthetic" tests="3" failures="1" errors="0"/);
    expect(xml).toMatch(/<failure message="availability &gt;= 99% \(observed 91\.25%\); ttft\.p95 &lt; 500ms \(observed 900ms\)" type="FAIL">/);
    // The validator is not a rubber stamp: a testcase without a classname is refused.
    const broken = await validateXML({ xml: [{ fileName: "junit.xml", contents: xml.replace(/ classname="[^"]*"/, "") }], schema: [xsd] });
    expect(broken.valid).toBe(false);
  }, 30_000);
});

describe("summary.md", () => {
  test("the verdict, every assertion with its numbers, and the phases", async () => {
    const { dir } = await built();
    const md = await readFile(join(dir, "summary.md"), "utf8");
    expect(md).toMatch(/^## ❌ synthetic: FAIL/);
    expect(md).toMatch(/\| ❌ FAIL \| users barely notice the fault \| fault \| ❌ `availability >= 99%` \| 91.25% \|/);
    expect(md).toMatch(/\| storm \| 6s \| 120 \|/);
  });
});

// Debian's Chromium, installed by .ci/run; a machine without it skips these, saying so.
const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

/** The page's own globals, as the callbacks below use them in the browser (the suite is typed for Node, without the DOM library). */
type InPage = {
  getComputedStyle(e: unknown): { fill: string; stroke: string; lineHeight: string };
  document: { createRange(): { selectNodeContents(n: unknown): void; getClientRects(): ArrayLike<{ top: number }> }; documentElement: { scrollWidth: number } };
};
/** Console errors and warnings, page errors, and any request leaving the file (a CDN, a font: a failure of "self-contained"). */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) problems.push(`request to ${r.url()}`);
  });
  return problems;
}
if (!chromiumPath) console.warn("report.html browser test skipped: no Chromium at /usr/bin/chromium (.ci/run installs Debian's chromium)");

describe.skipIf(!chromiumPath)("report.html in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath!, args: ["--no-sandbox"] });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  test("without script: opens offline without console errors; the SVG charts drawn from data; the fault window shaded where it was", async () => {
    const { dir } = await built();
    // The SVG charts are the report where no script runs (a CI artifact viewer, a locked-down browser).
    const page = await browser.newPage({ javaScriptEnabled: false });
    const problems = watchProblems(page);
    await page.goto(`file://${join(dir, "report.html")}`);
    expect(await page.title()).toBe("synthetic: FAIL · aire");
    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((f) => {
        const svg = f.querySelector("svg")!.getBoundingClientRect();
        const fault = f.querySelector("rect.fault-window")?.getBoundingClientRect();
        const points = [...f.querySelectorAll("polyline.series")].reduce((n, p) => n + (p.getAttribute("points") ?? "").trim().split(/\s+/).length, 0);
        return { id: f.id, width: svg.width, height: svg.height, points, fault: fault ? { left: (fault.left - svg.left) / svg.width, width: fault.width / svg.width, height: fault.height } : null };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(["chart-rps", "chart-ttft", "chart-errors", "chart-tokens"]);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(400);
      expect(c.height).toBeGreaterThan(60);
      // One point per second of traffic (16 s), per series.
      expect(c.points).toBeGreaterThanOrEqual(16);
      // The fault ran from 5 s to 9 s of 16: the shading sits there, and is visible.
      expect(c.fault).not.toBeNull();
      expect(c.fault!.left).toBeGreaterThan(0.3);
      expect(c.fault!.left).toBeLessThan(0.4);
      expect(c.fault!.width).toBeGreaterThan(0.2);
      expect(c.fault!.height).toBeGreaterThan(30);
    }
    // TTFT p95 is drawn higher while the fault was on than before it.
    const ttft = await page.$eval("#chart-ttft polyline[data-series='p95']", (p) => (p.getAttribute("points") ?? "").trim().split(/\s+/).map((xy: string) => Number(xy.split(",")[1])));
    expect(Math.min(...ttft.slice(5, 9))).toBeLessThan(Math.min(...ttft.slice(0, 4)));
    const cards = await page.$$eval("section.card", (s) => s.map((c) => c.getAttribute("data-verdict")));
    expect(cards).toEqual(["PASS", "FAIL", "PASS"]);
    expect(await page.locator("table.events tr").count()).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);

  test("layout: every phase is labelled, errors and faults have colours of their own, the events start at 0, tables fit wide and narrow screens", async () => {
    const { dir } = await built();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    await page.goto(`file://${join(dir, "report.html")}`);
    // Every phase, the first one too, is named on each chart.
    const labels = await page.$$eval("#chart-rps text.phase-label", (t) => t.map((e) => e.textContent));
    expect(labels).toEqual(["baseline", "storm", "recovery"]);
    // The fault band's colour is used by no series line.
    const band = await page.$eval("#chart-errors rect.fault-window", (r) => (globalThis as unknown as InPage).getComputedStyle(r).fill);
    const lines = await page.$$eval("figure.chart polyline.series", (ps) => ps.map((p) => (globalThis as unknown as InPage).getComputedStyle(p).stroke));
    expect(lines).not.toContain(band);
    // No event before the traffic started is listed at a negative time.
    const times = await page.$$eval("table.events tbody tr td:first-child", (tds) => tds.map((td) => td.textContent ?? ""));
    expect(times.filter((t) => t.startsWith("-"))).toEqual([]);
    // On a wide screen each phase is one line.
    const rowHeights = await page.$$eval("table.phases tbody tr", (rows) => rows.map((r) => r.getBoundingClientRect().height));
    const lineHeight = await page.$eval("table.phases tbody td", (td) => Number.parseFloat((globalThis as unknown as InPage).getComputedStyle(td).lineHeight) || 19);
    for (const h of rowHeights) expect(h).toBeLessThan(lineHeight * 1.8);
    // On a phone-sized screen nothing spills out of its card (a table wider than the card scrolls
    // inside it), words are not broken mid-letter, and the page does not scroll sideways.
    await page.setViewportSize({ width: 420, height: 900 });
    const spill = await page.$$eval("section.card", (cards) => cards.map((c) => c.scrollWidth > c.clientWidth + 1));
    expect(spill).toEqual(spill.map(() => false));
    const verdictLines = await page.$$eval("section.card td:first-child, section.card th", (cells) => cells.filter((c) => c.textContent).map((c) => {
      const range = (globalThis as unknown as InPage).document.createRange();
      range.selectNodeContents(c);
      return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
    }));
    expect(verdictLines.length).toBeGreaterThan(0);
    for (const lines of verdictLines) expect(lines).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await page.close();
  }, 30_000);

  test("with script: the same series as uPlot charts, each second's values on hover, drag to zoom and double-click back; no request, no error", async () => {
    const { dir, report } = await built();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`file://${join(dir, "report.html")}`);
    // Every chart is drawn by uPlot in place of its SVG, and the help says how to use them.
    expect(await page.$$eval("figure.chart", (fs) => fs.map((f) => [f.id, f.getAttribute("data-interactive"), f.querySelectorAll("canvas").length > 0]))).toEqual(
      ["chart-rps", "chart-ttft", "chart-errors", "chart-tokens"].map((id) => [id, "uplot", true]),
    );
    expect(await page.locator("#chart-help").isVisible()).toBe(true);
    expect(await page.locator("#chart-ttft svg").isVisible()).toBe(false);
    type Charts = { aireCharts: Record<string, { data: (number | null)[][]; scales: { x: { min: number; max: number } }; bbox: { left: number; width: number }; valToPos(v: number, scale: string): number; over: { getBoundingClientRect(): { left: number; top: number; width: number; height: number } } }> };
    // The data are the summary's series: TTFT p95 about 900 ms while the fault was on (5–9 s).
    const p95 = await page.evaluate(() => (globalThis as unknown as Charts).aireCharts["chart-ttft"]!.data[2]!);
    // (after an empty point at 0 s: the axis spans the run from its start)
    expect(p95).toEqual([null, ...report.timeSeries.map((s) => s.ttftP95), null]);
    for (const v of p95.slice(6, 10)) expect(Math.abs(v! - 900)).toBeLessThan(10);
    const shown = `${Math.round(p95[7]!)} ms`;
    // Hover at 6.5 s: the legend reads that second's values.
    await page.locator("#chart-ttft").scrollIntoViewIfNeeded();
    const over = await page.evaluate(() => {
      const u = (globalThis as unknown as Charts).aireCharts["chart-ttft"]!;
      const r = u.over.getBoundingClientRect();
      return { left: r.left, top: r.top, height: r.height, x: u.valToPos(6.5, "x") };
    });
    await page.mouse.move(over.left + over.x, over.top + over.height / 2);
    await expect.poll(() => page.locator("#chart-ttft .u-legend .u-series:nth-child(3) .u-value").textContent()).toBe(shown);
    expect(await page.locator("#chart-ttft .u-legend .u-series:first-child .u-value").textContent()).toBe("6.5 s");
    // The cursor is synchronised: the requests chart reads the same second.
    expect(await page.locator("#chart-rps .u-legend .u-series:first-child .u-value").textContent()).toBe("6.5 s");
    // Drag from 4 s to 10 s: the x scale is that window; a double-click gives the whole run back.
    const at = (t: number) => page.evaluate((tt) => (globalThis as unknown as Charts).aireCharts["chart-ttft"]!.valToPos(tt, "x"), t);
    const [x4, x10] = [await at(4), await at(10)];
    await page.mouse.move(over.left + x4, over.top + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.left + x10, over.top + over.height / 2, { steps: 8 });
    await page.mouse.up();
    const zoomed = await page.evaluate(() => (globalThis as unknown as Charts).aireCharts["chart-ttft"]!.scales.x);
    expect(zoomed.min).toBeGreaterThan(3.8);
    expect(zoomed.max).toBeLessThan(10.2);
    await page.mouse.dblclick(over.left + x4, over.top + over.height / 2);
    const whole = await page.evaluate(() => (globalThis as unknown as Charts).aireCharts["chart-ttft"]!.scales.x);
    expect([whole.min, whole.max]).toEqual([0, 16]);
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);
});
