/**
 * `aire ingest k6`: k6 --out json files (written from the documented format by a helper) scored
 * against a scenario's hypotheses; N runners' files merge into global percentiles.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { k6Time } from "../../harness/k6/ingest.js";
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

  test("k6's RFC 3339 nanosecond times, with any offset, keep their sub-millisecond part", () => {
    expect(k6Time("2026-11-23T11:00:00.123456789+01:00")).toBeCloseTo(Date.parse("2026-11-23T10:00:00.123Z") + 0.456789, 6);
    expect(k6Time("2026-11-23T10:00:00Z")).toBe(Date.parse("2026-11-23T10:00:00Z"));
    expect(k6Time("yesterday")).toBeNaN();
  });
});
