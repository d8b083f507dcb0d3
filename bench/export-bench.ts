/**
 * Exports at load (issue 21): the same 1,000 requests/s run (`aire run`, a url target answering at
 * once, so the generator is what is measured) with every export off, then on — remote write,
 * OTLP and Grafana annotations every second, into receivers in their own process that answer
 * as the real ones do. Printed side by side: whether each run
 * stayed valid, its schedule lag against the budget, and what the exports sent.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, startProcess } from "./process.js";

const scenario = (upstream: string, exports: string) => `apiVersion: aire/v1
name: export-bench
seed: 4
target: { url: ${upstream}/v1 }
traffic:
  model: m
  arrival: { type: poisson, rate: 1000/s }
  mix: [ { name: chat, stream: true, promptTokens: 20, maxTokens: 5 } ]
  client: { timeout: 10s }
phases:
  - { name: warm, duration: 2s }
  - { name: load, duration: 10s }
limits: { drain: 5s }
${exports}`;

interface Summary { verdict: string; traffic: { valid: boolean; invalidReason?: string; scheduled: number; scheduleLagMs: { p50: number; p99: number; max: number }; lagBudget?: unknown }; total: { requests: number; availability: number }; exports?: { kind: string; sent: number; failed: number }[] }

async function run(dir: string, name: string, text: string): Promise<Summary> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, text);
  const out = join(dir, name);
  const child = spawn(process.execPath, ["dist/bundle/aire.js", "run", file, "--out", out], { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, AIRE_BENCH_GRAFANA_TOKEN: "bench-token" } });
  await once(child, "exit");
  const [runDir] = await readdir(out);
  return JSON.parse(await readFile(join(out, runDir!, "summary.json"), "utf8")) as Summary;
}

export async function benchExports(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "aire-bench-exports-"));
  const upstream = await startProcess(["dist/bench/static-upstream.js"]);
  const sink = await startProcess(["dist/bench/export-sink.js"]);
  try {
    const off = await run(dir, "off", scenario(upstream.url, ""));
    const on = await run(dir, "on", scenario(upstream.url, `export:\n  prometheus: { url: ${sink.url}/api/v1/write, interval: 1s }\n  otlp: { url: ${sink.url}/v1/metrics, interval: 1s }\n  grafana: { url: ${sink.url}, tokenEnv: AIRE_BENCH_GRAFANA_TOKEN }\n`));
    const line = (label: string, s: Summary) =>
      `  ${label.padEnd(22)} ${String(s.total.requests).padStart(6)} requests, ${(s.total.availability * 100).toFixed(2)}% answered, ${s.traffic.valid ? "valid" : `INVALID (${s.traffic.invalidReason})`}; schedule lag p50 ${s.traffic.scheduleLagMs.p50} ms, p99 ${s.traffic.scheduleLagMs.p99} ms, max ${s.traffic.scheduleLagMs.max} ms (budget p99 100 ms, max 1 s)`;
    console.log("\nexports at 1,000 requests/s (12 s, streamed, a url target answering at once):");
    console.log(line("every export off", off));
    console.log(line("every export on (1 s)", on));
    console.log(`  exports: ${(on.exports ?? []).map((e) => `${e.kind} ${e.sent} sent, ${e.failed} failed`).join("; ")}`);
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");
    console.log(`  lag with exports / without: p99 ${ratio(on.traffic.scheduleLagMs.p99, off.traffic.scheduleLagMs.p99)}, max ${ratio(on.traffic.scheduleLagMs.max, off.traffic.scheduleLagMs.max)}`);
  } finally {
    await upstream.stop();
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
