/**
 * `npm run bench -- workers`: what `aire run --workers N` buys on this machine. The same scenario
 * (a URL target: a cheap streaming upstream of 10 tokens an answer; a closed loop of 256 virtual
 * users without think time, so each generator sends as fast as it can) run by `aire run` with 1
 * and with 2 generator processes, and by the peer a user would pick for streams, k6 with xk6-sse,
 * running the script `aire export k6 --sse` writes for it — side by side, rounds with the order
 * rotated. Requests/s completed, and CPU per request (the generator's processes, all of them:
 * the run and its workers, or k6), from the kernel's account of finished children.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findOnPath } from "../harness/commands/k6/load.js";
import { startProcess, writeStreamingScenario } from "./process.js";

const SECONDS = 8;
const VUS = 256;
const ROUNDS = 3;

/** CPU time of this process's finished (waited-for) children and theirs, ms (/proc/self/stat cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of the file (1-based), counted here after the command name: 14 and 15 (0-based 13, 14).
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("close", (code) => resolve({ code, out }));
  });
}


interface Result {
  reqPerSec: number;
  cpuUsPerRequest: number;
  valid?: boolean;
  /** Share of the machine's CPU time in use while it ran (/proc/stat), everything counted: the upstream too. */
  busy?: number;
}

/** The machine's CPU ticks so far: all, and those idle (idle + iowait). */
function machineTicks(): { total: number; idle: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3]! + fields[4]! };
}

/** Runs `fn`, adding how busy the machine was meanwhile. */
async function measured(fn: () => Promise<Result>): Promise<Result> {
  const before = machineTicks();
  const result = await fn();
  const after = machineTicks();
  return { ...result, busy: 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total) };
}

export async function benchWorkers(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "aire-bench-workers-"));
  const upstream = await startProcess(["dist/bench/stream-upstream.js", "10", "1"]);
  try {
    const file = join(dir, "bench.yaml");
    await writeStreamingScenario(file, { name: "workers-bench", url: upstream.url, arrival: `{ type: closed, vus: ${VUS}, thinkTime: 0s }`, client: `{ timeout: 10s, connections: ${VUS} }`, seconds: SECONDS });
    const aire = async (workers: number): Promise<Result> => {
      const out = join(dir, `w${workers}-${Math.random().toString(36).slice(2)}`);
      const before = childrenCpuMs();
      const result = await run(process.execPath, ["dist/bundle/aire.js", "run", file, "--workers", String(workers), "--out", out]);
      const cpu = childrenCpuMs() - before;
      const [runDir] = await readdir(out).catch(() => [] as string[]);
      if (!runDir) throw new Error(`aire run --workers ${workers} wrote no results (exit ${result.code}): ${result.out.slice(-500)}`);
      const summary = JSON.parse(await readFile(join(out, runDir, "summary.json"), "utf8")) as { total: { requests: number; ok: number }; traffic: { valid: boolean } };
      return { reqPerSec: summary.total.ok / SECONDS, cpuUsPerRequest: (cpu * 1000) / summary.total.requests, valid: summary.traffic.valid };
    };
    const k6 = findOnPath("k6-sse");
    let k6Script: string | undefined;
    if (k6) {
      const exported = await run(process.execPath, ["dist/bundle/aire.js", "export", "k6", file, "--sse", "--image", "local/k6-sse", "--out", join(dir, "k6")]);
      if (exported.code !== 0) throw new Error(`aire export k6 failed: ${exported.out}`);
      k6Script = join(dir, "k6", "script.js");
    }
    const peer = async (): Promise<Result> => {
      const summaryFile = join(dir, `k6-${Math.random().toString(36).slice(2)}.json`);
      const before = childrenCpuMs();
      // The script's own summary (handleSummary) goes beside k6's, in the bench's directory, not the working one.
      const result = await run(k6!, ["run", "--quiet", "--address", "", "--summary-export", summaryFile, k6Script!], { K6_NO_USAGE_REPORT: "true", AIRE_SUMMARY: `${summaryFile}.aire.json` });
      const cpu = childrenCpuMs() - before;
      const summary = JSON.parse(await readFile(summaryFile, "utf8").catch(() => "{}")) as { metrics?: Record<string, { count?: number }> };
      const iterations = summary.metrics?.iterations?.count;
      if (!iterations) throw new Error(`k6-sse ran no iteration (exit ${result.code}): ${result.out.slice(-500)}`);
      return { reqPerSec: iterations / SECONDS, cpuUsPerRequest: (cpu * 1000) / iterations };
    };

    type Tool = "aire --workers 1" | "aire --workers 2" | "k6 + xk6-sse";
    const tools: [Tool, () => Promise<Result>][] = [
      ["aire --workers 1", () => aire(1)],
      ["aire --workers 2", () => aire(2)],
      ...(k6 ? [["k6 + xk6-sse", peer] as [Tool, () => Promise<Result>]] : []),
    ];
    const results = new Map<Tool, Result[]>(tools.map(([name]) => [name, []]));
    const scaling: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const got = new Map<Tool, Result>();
      for (let i = 0; i < tools.length; i++) {
        const [name, fn] = tools[(round + i) % tools.length]!;
        const r = await measured(fn);
        got.set(name, r);
        results.get(name)!.push(r);
      }
      scaling.push(got.get("aire --workers 2")!.reqPerSec / got.get("aire --workers 1")!.reqPerSec);
    }
    const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const n = (x: number) => Math.round(x).toLocaleString("en-US");
    console.log(`\ngenerator processes: a closed loop of ${VUS} VUs without think time, streams of 10 tokens from a cheap upstream, ${SECONDS} s a run; ${ROUNDS} rounds, order rotated; medians`);
    for (const [name, rs] of results) {
      const invalid = rs.filter((r) => r.valid === false).length;
      console.log(`  ${name.padEnd(17)} ${n(middle(rs.map((r) => r.reqPerSec))).padStart(6)} req/s, ${middle(rs.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs CPU/request, machine ${Math.round(100 * middle(rs.map((r) => r.busy ?? 0)))}% busy  (runs: ${rs.map((r) => n(r.reqPerSec)).join(", ")}${invalid ? `; ${invalid} INVALID` : ""})`);
    }
    if (!k6) console.log("  k6 + xk6-sse: skipped, k6-sse is not on PATH (../shared/tools/bin has it)");
    console.log(`  ratio --workers 2 / --workers 1: ${middle(scaling).toFixed(2)} (rounds ${Math.min(...scaling).toFixed(2)}–${Math.max(...scaling).toFixed(2)})`);
    const peerRuns = results.get("k6 + xk6-sse");
    if (peerRuns?.length) console.log(`  ratio aire --workers 2 / k6 + xk6-sse: ${(middle(results.get("aire --workers 2")!.map((r) => r.reqPerSec)) / middle(peerRuns.map((r) => r.reqPerSec))).toFixed(2)}`);
  } finally {
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
