/**
 * `npm run bench -- gameday`: what the game-day console costs the generator. The same scenario
 * (a URL target: a cheap streaming upstream of 10 tokens an answer; an open loop at 1,000
 * requests/s) run by `aire run`, and by `aire gameday` with two consoles open — two readers of the
 * live stream, each also asking for the state every second, as two open pages do — side by side,
 * rounds with the order alternated. The generator's schedule lag (p99, max) and whether the run
 * stayed valid: the console must not make a run INVALID.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startProcess, writeStreamingScenario } from "./process.js";

const SECONDS = 10;
/** What a game day states, so the console's live standing does its work on every answer (a phase window and the whole run). */
const HYPOTHESES = `hypotheses:
  - { name: fast, during: load, expect: [ "ttft.p95 < 2s", "availability >= 99%", "error_rate{class=timeout} < 1%" ] }
  - { name: whole run, during: run, expect: [ "e2e.p99 < 5s", "goodput(ttft < 1s) >= 95%" ] }
`;
const RATE = 1000;
const ROUNDS = 3;

interface Result {
  p99: number;
  max: number;
  valid: boolean;
  requests: number;
  /** State updates the consoles read (0 without them). */
  updates: number;
}

/** Two open consoles: each reads the live stream and asks for the state every second, until `stop`. */
function openConsoles(base: string, token: string, stop: AbortSignal): { updates: () => number; done: Promise<void> } {
  let updates = 0;
  const one = async () => {
    const headers = { authorization: `Bearer ${token}` };
    const poll = setInterval(() => void fetch(`${base}/api/state`, { headers, signal: stop }).then((r) => r.arrayBuffer()).catch(() => {}), 1000);
    try {
      const res = await fetch(`${base}/api/stream`, { headers, signal: stop });
      const reader = res.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        updates += (Buffer.from(value).toString("utf8").match(/\n\n/g) ?? []).length;
      }
    } catch {
      // stopped, or the console closed with the run
    } finally {
      clearInterval(poll);
    }
  };
  return { updates: () => updates, done: Promise.all([one(), one()]).then(() => {}) };
}

async function runOnce(file: string, out: string, consoles: boolean): Promise<Result> {
  const child = spawn(process.execPath, ["dist/bundle/aire.js", consoles ? "gameday" : "run", file, "--out", out], { stdio: ["ignore", "pipe", "pipe"] });
  child.stderr.resume();
  const stop = new AbortController();
  let opened: ReturnType<typeof openConsoles> | undefined;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const m = /console: facilitator (http:\/\/[^/]+)\/#token=([\w-]+)/.exec(line);
    if (m && !opened) opened = openConsoles(m[1]!, m[2]!, stop.signal);
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  stop.abort();
  await opened?.done;
  const [runDir] = await readdir(out).catch(() => [] as string[]);
  if (!runDir) throw new Error(`aire ${consoles ? "gameday" : "run"} wrote no results (exit ${code})`);
  const summary = JSON.parse(await readFile(join(out, runDir, "summary.json"), "utf8")) as { total: { requests: number }; traffic: { valid: boolean; scheduleLagMs: { p99: number; max: number } } };
  return { p99: summary.traffic.scheduleLagMs.p99, max: summary.traffic.scheduleLagMs.max, valid: summary.traffic.valid, requests: summary.total.requests, updates: opened?.updates() ?? 0 };
}

export async function benchGameday(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "aire-bench-gameday-"));
  const upstream = await startProcess(["dist/bench/stream-upstream.js", "10", "1"]);
  try {
    const file = join(dir, "bench.yaml");
    await writeStreamingScenario(file, { name: "gameday-bench", url: upstream.url, arrival: `{ rate: ${RATE}/s }`, client: `{ timeout: 10s }`, seconds: SECONDS, hypotheses: HYPOTHESES });
    const results: Record<"without" | "with", Result[]> = { without: [], with: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const which of round % 2 === 0 ? (["without", "with"] as const) : (["with", "without"] as const)) {
        results[which].push(await runOnce(file, join(dir, `${which}-${round}`), which === "with"));
      }
    }
    const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const f = (x: number) => x.toFixed(2);
    console.log(`\ngame-day console: an open loop at ${RATE.toLocaleString("en-US")} req/s for ${SECONDS} s (streams of 10 tokens from a cheap upstream); ${ROUNDS} rounds, order alternated; medians`);
    for (const [which, rs] of Object.entries(results)) {
      const invalid = rs.filter((r) => !r.valid).length;
      console.log(`  ${which === "with" ? "aire gameday, two consoles open" : "aire run, no console        "}  schedule lag p99 ${f(middle(rs.map((r) => r.p99)))} ms, max ${f(middle(rs.map((r) => r.max)))} ms  (p99 per run: ${rs.map((r) => f(r.p99)).join(", ")}; ${middle(rs.map((r) => r.requests)).toLocaleString("en-US")} requests${which === "with" ? `; ${middle(rs.map((r) => r.updates))} state updates read` : ""}; ${invalid ? `${invalid} INVALID` : "all valid"})`);
    }
    console.log(`  ratio of the p99 lag, with / without: ${(middle(results.with.map((r) => r.p99)) / Math.max(0.001, middle(results.without.map((r) => r.p99)))).toFixed(2)}`);
  } finally {
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
