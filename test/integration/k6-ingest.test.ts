/**
 * `aire ingest k6`: k6 --out json files (written from the documented format by a helper) scored
 * against a scenario's hypotheses; N runners' files merge into global percentiles.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { k6Time } from "../../harness/commands/k6/ingest.js";
import { runCli } from "../helpers/cli.js";
import { writeK6File, type FixtureRequest } from "../helpers/k6-fixture.js";

const SCENARIO = "test/fixtures/scenarios/k6-ingest.yaml";

/**
 * 40/s for 20 s; in the second half every 10th request takes 900 ms and every 25th is a 503. Two
 * runners share the load, but every slow request and every 503 happens to be runner 2's: judged
 * alone (as k6 judges thresholds, per runner), runner 1 would pass the degraded phase.
 */
const requests: FixtureRequest[] = Array.from({ length: 800 }, (_, i) => {
  const degraded = i >= 400;
  return {
    startMs: i * 25,
    durationMs: degraded && i % 10 === 0 ? 900 : 120 + (i % 7) * 3.25,
    status: degraded && i % 25 === 1 ? 503 : 200,
    runner: (degraded && (i % 10 === 0 || i % 25 === 1)) || i % 2 === 1 ? 2 : 1,
    ttftMs: 60 + (i % 5) * 4.5,
  };
});

async function ingest(files: string[], out: string) {
  const result = await runCli(["ingest", "k6", ...files, "--scenario", SCENARIO, "--out", out]);
  const dirs = await readdir(out);
  const summary = result.code === 2 ? undefined : JSON.parse(await readFile(join(out, dirs.at(-1)!, "summary.json"), "utf8"));
  return { result, summary };
}

const verdicts = (summary: { hypotheses: { verdict: string; assertions: { assertion: string; verdict: string; observed: unknown }[] }[] }) =>
  summary.hypotheses.map((h) => [h.verdict, h.assertions.map((a) => [a.assertion, a.verdict, a.observed])]);

describe("aire ingest k6", () => {
  test("two runners' files give the same verdicts and the same global percentiles as one runner's file of the same traffic", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-k6-"));
    try {
      const one = join(dir, "one.json");
      await writeK6File(one, requests.map((r) => ({ ...r, runner: 1 })), { runnerTag: false, rid: true });
      const a = join(dir, "runner-1.json");
      const b = join(dir, "runner-2.json.gz");
      await writeK6File(a, requests.filter((r) => r.runner === 1), { runnerTag: true, rid: true });
      await writeK6File(b, requests.filter((r) => r.runner === 2), { runnerTag: true, rid: true });
      const single = await ingest([one], join(dir, "out-1"));
      const merged = await ingest([a, b], join(dir, "out-2"));
      for (const { result, summary } of [single, merged]) {
        expect(result.stderr).toBe("");
        expect(summary.total.requests).toBe(800);
        expect(summary.phases.map((p: { name: string; requests: number }) => [p.name, p.requests])).toEqual([["steady", 400], ["degraded", 400]]);
        // The degraded half breaks its SLO: its e2e p95 is the 900 ms requests, 16 of its 400 are 503s.
        expect(summary.hypotheses.map((h: { verdict: string }) => h.verdict)).toEqual(["PASS", "FAIL"]);
        expect(summary.phases[1].errors).toEqual({ http_5xx: 16 });
        expect(result.code).toBe(1);
      }
      expect(merged.result.stdout).toMatch(/k6: 800 requests from 2 runner file\(s\)/);
      expect(verdicts(merged.summary)).toEqual(verdicts(single.summary));
      // Runner 1's slice alone passes the phase the global data fails: per-runner thresholds would have said PASS.
      const alone = await ingest([a], join(dir, "out-a"));
      expect(alone.summary.hypotheses.map((h: { verdict: string }) => h.verdict)).toEqual(["PASS", "PASS"]);
      expect(merged.summary.total.ttft).toEqual(single.summary.total.ttft);
      expect(merged.summary.total.e2e).toEqual(single.summary.total.e2e);
      // The TTFT came from aire's own metric, joined by the request id although written later.
      expect(single.summary.total.ttft.p50).toBeGreaterThanOrEqual(60);
      expect(single.summary.total.ttft.max).toBeLessThanOrEqual(78.1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("iterations k6 dropped (too few VUs) make the run INVALID, and lag nobody measured is not printed as 0 ms", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-k6-"));
    try {
      const file = join(dir, "dropped.json");
      // Only the steady half, which passes its hypothesis; then k6's own count of iterations it never started.
      await writeK6File(file, requests.filter((r) => r.startMs < 10_000), { runnerTag: false, rid: true });
      const point = (t: number) => JSON.stringify({ metric: "dropped_iterations", type: "Point", data: { time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, t)).toISOString(), value: 1, tags: { scenario: "default" } } });
      await writeFile(file, `${await readFile(file, "utf8")}${[100, 200, 300].map(point).join("\n")}\n`);
      const { result, summary } = await ingest([file], join(dir, "out"));
      expect(summary.traffic).toMatchObject({ dropped: 3, valid: false, lagMeasured: false });
      expect(summary.traffic.invalidReason).toMatch(/k6 dropped 3 of 403 iterations: load the scenario asked for was never sent/);
      expect(summary.hypotheses.every((h: { verdict: string }) => h.verdict === "INCONCLUSIVE")).toBe(true);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/3 dropped by k6, schedule and event-loop lag not measured \(k6\)/);
      expect(result.stdout).not.toMatch(/schedule lag p99 0ms/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("without request ids the http_req_* points are joined by time and tags; a broken line is reported with its file and line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-k6-"));
    try {
      const plain = join(dir, "plain.json");
      await writeK6File(plain, requests, { runnerTag: true, rid: false });
      const { result, summary } = await ingest([plain], join(dir, "out"));
      expect(result.stderr).toBe("");
      expect(summary.total.requests).toBe(800);
      expect(summary.total.e2e.max).toBe(900);
      // Stock k6 cannot see a stream's first token: the TTFT assertion has no samples, so that hypothesis is not PASS.
      expect(summary.hypotheses[0].assertions[0]).toMatchObject({ assertion: "ttft.p95 < 300ms", verdict: "INCONCLUSIVE" });
      // Stock k6 records no prompt tokens or answering model: the cost is unknown, not $0.
      const priced = await runCli(["ingest", "k6", plain, "--scenario", "test/fixtures/scenarios/k6-export.yaml", "--out", join(dir, "out-cost")]);
      const costRun = (await readdir(join(dir, "out-cost")))[0]!;
      const costSummary = JSON.parse(await readFile(join(dir, "out-cost", costRun, "summary.json"), "utf8"));
      expect(costSummary.hypotheses.find((h: { name: string }) => h.name === "the whole run").assertions[0]).toMatchObject({ assertion: "cost.total < $1", verdict: "INCONCLUSIVE" });
      expect(priced.code).toBe(1);
      const broken = join(dir, "broken.json");
      await writeFile(broken, `${(await readFile(plain, "utf8")).split("\n").slice(0, 5).join("\n")}\n{"metric":"http_reqs","type":"Point","data":{"time":\n`);
      const bad = await runCli(["ingest", "k6", broken, "--scenario", SCENARIO, "--out", join(dir, "out-bad")]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/broken\.json:6: not a JSON line/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a long run: 150,000 requests from one runner are read and scored (more than a call's arguments can hold)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-k6-"));
    try {
      const long = join(dir, "long.json.gz");
      // 7,500 requests/s over the scenario's 20 s.
      await writeK6File(long, Array.from({ length: 150_000 }, (_, i) => ({ startMs: (i * 2) / 15, durationMs: 120 + (i % 7), status: 200, runner: 1 })), { runnerTag: false, rid: false, minimal: true });
      const { result, summary } = await ingest([long], join(dir, "out"));
      expect(result.stderr).toBe("");
      expect(summary.total.requests).toBe(150_000);
      // Half in each phase (the request due exactly at 10 s may fall either side of the boundary by a nanosecond's rounding).
      for (const p of summary.phases as { requests: number }[]) expect(Math.abs(p.requests - 75_000)).toBeLessThanOrEqual(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("points as an exported script writes them: a retried request is one logical request, with its gaps, attempts, provider and error class", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-k6-"));
    try {
      // Written as harness/commands/k6/runtime.k6.js records: the http_req_* points of each attempt, then aire_* points, all with the rid.
      const t0 = Date.parse("2026-11-23T10:00:00Z");
      const lines: string[] = [];
      const point = (metric: string, at: number, value: number, tags: Record<string, string>, rid: string) =>
        lines.push(JSON.stringify({ metric, type: "Point", data: { time: new Date(at).toISOString(), value, tags, metadata: { rid } } }));
      const http = (at: number, duration: number, status: number, rid: string) => {
        const tags = { name: "chat_completions", method: "POST", status: String(status), phase: "baseline", workload: "chat", tenant: "web", scenario: "traffic" };
        for (const [m, v] of [["http_reqs", 1], ["http_req_duration", duration], ["http_req_sending", 0.1], ["http_req_waiting", 3], ["http_req_failed", status >= 400 ? 1 : 0]] as const) point(m, at + duration, v, tags, rid);
      };
      for (let i = 0; i < 30; i++) {
        const rid = `${i + 1}:0`;
        const start = t0 + i * 300;
        const tags = { phase: "baseline", workload: "chat", tenant: "web", provider: "primary", scenario: "traffic" };
        // Every 10th request: a 503, then a retry 500 ms later that succeeds.
        const retried = i % 10 === 0;
        if (retried) http(start, 20, 503, rid);
        const second = retried ? start + 520 : start;
        http(second, 400, 200, rid);
        const end = second + 400;
        const failed = i === 7;
        point("aire_ok", end + 0.2, failed ? 0 : 1, failed ? { aire_error: "quality", model: "sim-large", ...tags } : { model: "sim-large", ...tags }, rid);
        point("aire_prompt_tokens", end + 0.2, 120, tags, rid);
        // The gateway answered the 503 itself after 3 upstream attempts, and the retry with 1.
        point("aire_upstream_attempts", end + 0.2, retried ? 4 : 1, tags, rid);
        point("aire_e2e_any", end + 0.2, end - start, tags, rid);
        point("aire_attempts", end + 0.2, retried ? 2 : 1, tags, rid);
        point("aire_output_tokens", end + 0.2, 5, tags, rid);
        if (!failed) {
          point("aire_ttft", end + 0.2, second - start + 100, tags, rid);
          point("aire_ttfb", end + 0.2, second - start + 3, tags, rid);
          for (const gap of [50, 60, 90, 200]) point("aire_itl", end + 0.2, gap, tags, rid);
          point("aire_max_stall", end + 0.2, 200, tags, rid);
          point("aire_tpot", end + 0.2, 100, tags, rid);
        }
      }
      const file = join(dir, "exported.json");
      await writeFile(file, `${lines.join("\n")}\n`);
      const result = await runCli(["ingest", "k6", file, "--scenario", "test/fixtures/scenarios/k6-export.yaml", "--out", join(dir, "out")]);
      expect(result.stderr).toBe("");
      const run = (await readdir(join(dir, "out")))[0]!;
      const samples = (await readFile(join(dir, "out", run, "samples.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
      expect(samples).toHaveLength(30);
      const first = samples[0];
      // The logical request spans both attempts: e2e from its first send, TTFT through the retry.
      expect(first).toMatchObject({ phase: "baseline", workload: "chat", tenant: "web", provider: "primary", ok: true, status: 200, e2e: 920, ttft: 620, ttfb: 523, tpot: 100, maxStall: 200, gaps: [50, 60, 90, 200], clientAttempts: 2, outputTokens: 5 });
      expect(samples[1]).toMatchObject({ e2e: 400, scheduledAt: 300, clientAttempts: 1 });
      expect(samples[7]).toMatchObject({ ok: false, errorClass: "quality", status: 200 });
      expect(samples[7].ttft).toBeUndefined();
      expect(first).toMatchObject({ model: "sim-large", promptTokens: 120, attempts: 4 });
      // Priced from the scenario's table (aire-chat: $1 in, $2 out per million; sim-large has no price, so the requested model's).
      expect(first.cost).toBeCloseTo((120 * 1 + 5 * 2) / 1e6, 12);
      const summary = JSON.parse(await readFile(join(dir, "out", run, "summary.json"), "utf8"));
      const whole = summary.hypotheses.find((h: { name: string }) => h.name === "the whole run");
      expect(whole.assertions[0]).toMatchObject({ assertion: "cost.total < $1", verdict: "PASS" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("handleSummary files: rates and maxima merge exactly across runners, percentiles do not and say so", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aire-k6-"));
    try {
      // As an exported script's handleSummary writes them (../shared/reference/k6.md): per runner, the thresholded submetrics.
      const trend = (values: Record<string, number>, thresholds: Record<string, boolean>) => ({ type: "trend", contains: "time", values, thresholds: Object.fromEntries(Object.entries(thresholds).map(([k, ok]) => [k, { ok }])) });
      const rate = (passes: number, fails: number, thresholds: Record<string, boolean>) => ({ type: "rate", contains: "default", values: { rate: passes / (passes + fails), passes, fails }, thresholds: Object.fromEntries(Object.entries(thresholds).map(([k, ok]) => [k, { ok }])) });
      const runner = (okBaseline: [number, number], p99: number, max: number, webOk: [number, number]) => ({
        state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: 30_000 },
        options: { summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "p(99.9)", "count"], summaryTimeUnit: "", noColor: false },
        root_group: { name: "", path: "", id: "d41d8cd98f00b204e9800998ecf8427e", groups: [], checks: [] },
        metrics: {
          "aire_ok{phase:baseline}": rate(...okBaseline, { "rate>=0.995": okBaseline[1] / (okBaseline[0] + okBaseline[1]) <= 0.005 }),
          "aire_e2e{phase:baseline}": trend({ avg: 900, min: 300, med: 850, max: 4000, "p(90)": 1500, "p(95)": 2000, "p(99)": p99, "p(99.9)": 3900, count: okBaseline[0] }, { "p(99)<5000": p99 < 5000 }),
          "aire_ok{phase:burst,tenant:web}": rate(...webOk, { "rate>0.99": true }),
          aire_e2e_any: trend({ avg: 1000, min: 250, med: 900, max, "p(90)": 1600, "p(95)": 2100, "p(99)": 3500, "p(99.9)": 5000, count: 400 }, { "max<30000": max < 30_000 }),
          http_reqs: { type: "counter", contains: "default", values: { count: 400, rate: 13.3 } },
        },
      });
      const a = join(dir, "runner-1-summary.json");
      const b = join(dir, "runner-2-summary.json");
      await writeFile(a, JSON.stringify(runner([950, 0], 3000, 12_000, [1900, 0])));
      await writeFile(b, JSON.stringify(runner([890, 60], 4500, 31_000, [1899, 1])));
      const both = await runCli(["ingest", "k6", a, b, "--scenario", "test/fixtures/scenarios/k6-export.yaml", "--out", join(dir, "out")]);
      expect(both.stderr).toBe("");
      expect(both.code).toBe(1);
      const dirs = await readdir(join(dir, "out"));
      const merged = JSON.parse(await readFile(join(dir, "out", dirs[0]!, "verdicts.json"), "utf8"));
      const [baseline, burst, run] = merged.hypotheses;
      // 1,840 of 1,900 complete: 96.84%, below 99.5% (its whole interval), though runner 1 alone had 100%.
      expect(baseline.assertions[2]).toMatchObject({ assertion: "availability >= 99.5%", verdict: "FAIL", observed: 0.968421, samples: 1900, k6: [true, false] });
      expect(baseline.assertions[1]).toMatchObject({ assertion: "e2e.p99 < 5s", verdict: "INCONCLUSIVE", why: "the p(99) of 2 runners cannot be merged from their summaries; ingest their --out json files" });
      // TTFT: this script was exported without --sse, so it has no aire_ttft; cost is never a threshold.
      expect(baseline.assertions[0]).toMatchObject({ verdict: "INCONCLUSIVE", why: expect.stringContaining("exported without --sse") });
      expect(run.assertions[0]).toMatchObject({ assertion: "cost.total < $1", verdict: "INCONCLUSIVE", why: expect.stringContaining("not in a k6 summary") });
      expect(burst.assertions[0]).toMatchObject({ assertion: "error_rate{tenant=web} < 1%", verdict: "PASS", observed: 0.000263, samples: 3800 });
      // A rate is judged on its interval as in a run: runner 1's 950 perfect requests show 99.5%, 190 would not.
      const few = join(dir, "few-summary.json");
      await writeFile(few, JSON.stringify(runner([95, 0], 3000, 12_000, [190, 0])));
      const undecided = await runCli(["ingest", "k6", few, "--scenario", "test/fixtures/scenarios/k6-export.yaml", "--out", join(dir, "out-few")]);
      const fewVerdicts = JSON.parse(await readFile(join(dir, "out-few", (await readdir(join(dir, "out-few")))[0]!, "verdicts.json"), "utf8"));
      expect(undecided.code).toBe(1);
      expect(fewVerdicts.hypotheses[0].assertions[2]).toMatchObject({ verdict: "INCONCLUSIVE", samples: 95, why: expect.stringContaining("95 requests cannot show it even with every one on the passing side; that takes 765") });
      // The largest of the runners' maxima is the maximum.
      expect(run.assertions[2]).toMatchObject({ assertion: "e2e_any.max < 30s", verdict: "FAIL", observed: 31_000, samples: 800 });
      expect(both.stdout).toMatch(/FAIL\s+baseline is fast/);
      // One runner: its percentile is the percentile.
      await runCli(["ingest", "k6", a, "--scenario", "test/fixtures/scenarios/k6-export.yaml", "--out", join(dir, "out-1")]);
      const single = JSON.parse(await readFile(join(dir, "out-1", (await readdir(join(dir, "out-1")))[0]!, "verdicts.json"), "utf8"));
      expect(single.hypotheses[0].assertions[1]).toMatchObject({ verdict: "PASS", observed: 3000, samples: 950 });
      // Mixed inputs are refused.
      const raw = join(dir, "raw.json");
      await writeK6File(raw, requests.slice(0, 10), { runnerTag: false, rid: false });
      const mixed = await runCli(["ingest", "k6", a, raw, "--scenario", "test/fixtures/scenarios/k6-export.yaml", "--out", join(dir, "out-x")]);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toContain("not both");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("k6's RFC 3339 nanosecond times, with any offset, keep their sub-millisecond part", () => {
    expect(k6Time("2026-11-23T11:00:00.123456789+01:00")).toBeCloseTo(Date.parse("2026-11-23T10:00:00.123Z") + 0.456789, 6);
    expect(k6Time("2026-11-23T10:00:00Z")).toBe(Date.parse("2026-11-23T10:00:00Z"));
    expect(k6Time("yesterday")).toBeNaN();
  });
});
