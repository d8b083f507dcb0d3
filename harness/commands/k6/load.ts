/**
 * `aire run --load k6 [--runners N] [--sse]`: the run's traffic sent by N local k6 processes
 * instead of aire's own generator, while the run keeps the timeline, the faults and the scoring.
 *
 * The scenario is exported (`aire export k6`, into the results directory's `k6/`) against the
 * target the run started; each runner is started paused (`k6 run --paused`) on its execution
 * segment (`--execution-segment i/N:(i+1)/N` of the sequence `0,1/N,…,1`), with its REST API on a
 * loopback port and its points going to `k6/runner-i.json`; all are resumed together at the run's
 * start (`PATCH /v1/status`), the instant the fault timeline counts from. Their NDJSON files are
 * read as k6 writes them: a request becomes a sample (ingest.ts's conversion, so the run is scored
 * exactly as `aire ingest k6` scores the same files) once no point has joined it for a second, for
 * the live progress and the abort conditions. An abort or interrupt stops the runners (SIGINT:
 * k6 ends its iterations and writes its output); a runner that dies, or exits with an error of its
 * own, is an infrastructure error (exit 3) after full rollback.
 * @module
 */
import { open, type FileHandle } from "node:fs/promises";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { HarnessError } from "../../base/errors.js";
import { spawnTracked, type AireChild } from "../../base/lifecycle/child-service.js";
import { sleep } from "../../base/lifecycle/sleep.js";
import type { ExternalLoad } from "../../orchestrator/run-scenario.js";
import type { TrafficResult } from "../../traffic/generator.js";
import { exportK6 } from "./export.js";
import { K6Points, k6Samples } from "./ingest.js";

/** k6's exit codes that end a run normally: 0, thresholds crossed (99), stopped by a signal or the REST API (105). */
const NORMAL_EXITS = new Set([0, 99, 105]);
/** k6's lib.ExecutionStatus once every VU is initialized and the run waits to be resumed. */
const PAUSED_BEFORE_RUN = 4;
/** A request is taken once no point has joined it for this long. */
const QUIET_MS = 1000;
const POLL_MS = 250;

export interface K6LoadOptions {
  runners: number;
  /** Read streams with xk6-sse (TTFT, inter-token gaps): needs `k6-sse` (a k6 built with it). */
  sse: boolean;
  /** The k6 binary; default `k6-sse` with `sse`, else `k6`, found on PATH. */
  binary?: string;
}

interface Runner {
  index: number;
  child: AireChild;
  port: number;
  file: string;
  segment: string;
  stderr: string[];
  points: K6Points;
}

/** The executable on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  if (name.includes("/")) return name;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** k6's fractions: "0", "1/2", "1". */
const fraction = (i: number, n: number) => (i === 0 ? "0" : i === n ? "1" : `${i}/${n}`);

/** A free loopback port (bound, then released: k6 takes it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class K6Load implements ExternalLoad {
  readonly #o: K6LoadOptions;
  #runners: Runner[] = [];
  #scenario: Parameters<ExternalLoad["prepare"]>[0]["loaded"]["scenario"] | undefined;

  constructor(options: K6LoadOptions) {
    this.#o = options;
  }

  async prepare(ctx: Parameters<ExternalLoad["prepare"]>[0]): Promise<Record<string, unknown>> {
    const { scenario } = ctx.loaded;
    this.#scenario = scenario;
    const name = this.#o.binary ?? (this.#o.sse ? "k6-sse" : "k6");
    const binary = findOnPath(name);
    if (!binary) throw new HarnessError("USAGE", { message: `--load k6: ${name} is not on PATH${this.#o.sse ? " (--sse needs a k6 built with xk6-sse: xk6 build --with github.com/phymbert/xk6-sse)" : " (install k6: https://grafana.com/docs/k6/latest/set-up/install-k6/)"}` });
    const exported = await exportK6(ctx.loaded, { outDir: join(ctx.dir, "k6"), url: ctx.baseUrl, sse: this.#o.sse, image: "local", parallelism: this.#o.runners, namespace: "default", bodies: 2000, maxVus: 2000 });
    const script = join(exported.dir, "script.js");
    // The keys the script reads, from the stack this run started (never written to a file).
    const env: NodeJS.ProcessEnv = { ...process.env, K6_NO_USAGE_REPORT: "true", AIRE_TARGET_URL: ctx.baseUrl, AIRE_SUMMARY: join(exported.dir, "aire-summary.json") };
    const [anonymous, ...tenants] = exported.keys;
    if (anonymous && ctx.apiKey !== undefined) env[anonymous.env] = ctx.apiKey;
    scenario.traffic.tenants.forEach((t, i) => {
      const key = ctx.tenantKeys[t.name];
      if (tenants[i] && key !== undefined) env[tenants[i]!.env] = key;
    });
    const n = this.#o.runners;
    const sequence = Array.from({ length: n + 1 }, (_, i) => fraction(i, n)).join(",");
    for (let index = 0; index < n; index++) {
      const port = await freePort();
      const file = join(exported.dir, `runner-${index}.json`);
      const segment = `${fraction(index, n)}:${fraction(index + 1, n)}`;
      const stderr: string[] = [];
      const child = spawnTracked(binary, ["run", "--paused", "--quiet", "--no-color", "--address", `127.0.0.1:${port}`, "--execution-segment", segment, "--execution-segment-sequence", sequence, "--out", `json=${file}`, script], {
        env,
        // k6 does not watch its parent: were this run SIGKILLed, the kernel stops the runners too.
        dieWithParent: true,
        onStderr: (line) => {
          stderr.push(line);
          if (stderr.length > 20) stderr.shift();
        },
      });
      this.#runners.push({ index, child, port, file, segment, stderr, points: new K6Points(file, index) });
    }
    // Ready: each runner's VUs initialized, waiting to be resumed (initializing them takes seconds
    // of CPU, which must not fall into the measured run).
    await Promise.all(this.#runners.map((r) => this.#ready(r, ctx.signal)));
    ctx.log(`${n} k6 runner${n === 1 ? "" : "s"} ready, paused (${name}; pids ${this.#runners.map((r) => r.child.pid).join(", ")}; script ${script})`);
    return { tool: name, script, runners: this.#runners.map((r) => ({ pid: r.child.pid, port: r.port, segment: r.segment, file: r.file })) };
  }

  async #ready(r: Runner, signal: AbortSignal): Promise<void> {
    const deadline = performance.now() + 60_000;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void r.child.exited.then((how) => (exited = how));
    while (performance.now() < deadline) {
      signal.throwIfAborted();
      if (exited) throw this.#failure(r, `exited (${exited.signal ?? `code ${exited.code}`}) before it was ready`);
      // The API answers while the VUs are still being initialized (status 1, InitVUs): ready is
      // 4, PausedBeforeRun (k6's lib.ExecutionStatus), every VU initialized.
      const status = await fetch(`http://127.0.0.1:${r.port}/v1/status`, { signal: AbortSignal.timeout(1000) }).then(
        async (res) => (res.ok ? ((await res.json()) as { data?: { attributes?: { status?: number } } }).data?.attributes?.status : undefined),
        () => undefined,
      );
      if (status !== undefined && status >= PAUSED_BEFORE_RUN) return;
      await sleep(100, signal);
    }
    throw this.#failure(r, "did not answer on its REST API within 60 s");
  }

  #failure(r: Runner, what: string): HarnessError {
    const tail = r.stderr.slice(-3).join(" | ");
    return new HarnessError("WORKER_FAILED", { message: `k6 runner ${r.index + 1} of ${this.#runners.length} (pid ${r.child.pid}) ${what}${tail ? `: ${tail}` : ""}` });
  }

  async run(o: Parameters<ExternalLoad["run"]>[0]): Promise<TrafficResult & { runners: { pid: number; segment: string; requests: number; firstRequestMs: number | null }[] }> {
    const toSample = k6Samples(this.#scenario!, performance.timeOrigin + o.start);
    let id = 0;
    /** Per runner: its requests, and when its first one started after the resume (ms): how together they started. */
    const counts: { requests: number; firstMs: number }[] = [];
    const handles = new Map<Runner, { fd: FileHandle; offset: number; rest: string; line: number; buffer: Buffer }>();
    /** Reads what each runner wrote since the last read, and hands on the requests gone quiet. */
    const drain = async (all: boolean) => {
      const now = performance.now();
      for (const r of this.#runners) {
        let h = handles.get(r);
        if (!h) {
          const fd = await open(r.file, "r").catch(() => undefined);
          if (!fd) continue;
          handles.set(r, (h = { fd, offset: 0, rest: "", line: 0, buffer: Buffer.allocUnsafe(1 << 20) }));
        }
        for (;;) {
          const { buffer } = h;
          const { bytesRead } = await h.fd.read(buffer, 0, buffer.length, h.offset);
          if (bytesRead === 0) break;
          h.offset += bytesRead;
          const lines = (h.rest + buffer.toString("utf8", 0, bytesRead)).split("\n");
          h.rest = lines.pop()!;
          for (const line of lines) r.points.add(line, ++h.line, now);
        }
        if (all && h.rest) {
          r.points.add(h.rest, ++h.line, now);
          h.rest = "";
        }
        for (const request of r.points.take(all ? Number.POSITIVE_INFINITY : now - QUIET_MS)) {
          const sample = toSample(request, id++);
          const mine = (counts[r.index] ??= { requests: 0, firstMs: Number.POSITIVE_INFINITY });
          mine.requests++;
          mine.firstMs = Math.min(mine.firstMs, sample.scheduledAt);
          o.onSample(sample);
        }
      }
    };
    let failure: HarnessError | undefined;
    const stop = () => {
      for (const r of this.#runners) r.child.process.kill("SIGINT");
    };
    o.signal.addEventListener("abort", stop, { once: true });
    // Stopped before the start (an interrupt right after the start-up): the paused runners are stopped, never resumed.
    if (o.signal.aborted) stop();
    const exits = this.#runners.map((r) =>
      r.child.exited.then((how) => {
        if (failure) return;
        // Stopped by us (SIGINT, 105) or ended by its script: normal; anything else fails the run.
        if ((how.code !== null && NORMAL_EXITS.has(how.code)) || (o.signal.aborted && how.signal === "SIGINT")) return;
        failure = this.#failure(r, how.signal ? `exited (${how.signal})` : `exited with code ${how.code}`);
        o.onFailure(failure);
        stop();
      }),
    );
    try {
      await sleep(Math.max(0, o.start - performance.now()), o.signal).catch(() => {});
      if (!o.signal.aborted) {
        // Resumed together: the instant the timeline counts from.
        await Promise.all(
          this.#runners.map((r) =>
            fetch(`http://127.0.0.1:${r.port}/v1/status`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: { type: "status", id: "default", attributes: { paused: false } } }) }).then(
              (res) => {
                if (!res.ok) throw this.#failure(r, `refused to start (PATCH /v1/status: ${res.status})`);
              },
              (err: unknown) => {
                throw this.#failure(r, `could not be started: ${(err as Error).message}`);
              },
            ),
          ),
        );
      }
      let done = false;
      void Promise.all(exits).then(() => (done = true));
      while (!done) {
        await drain(false);
        await sleep(POLL_MS);
      }
      await drain(true);
    } catch (err) {
      if (!failure) {
        failure = err instanceof HarnessError ? err : this.#failure(this.#runners[0]!, (err as Error).message);
        o.onFailure(failure);
      }
      stop();
      await Promise.all(exits);
    } finally {
      o.signal.removeEventListener("abort", stop);
      for (const h of handles.values()) await h.fd.close();
    }
    if (failure) throw failure;
    const dropped = this.#runners.reduce((sum, r) => sum + r.points.dropped, 0);
    const runners = this.#runners.map((r) => ({ pid: r.child.pid, segment: r.segment, requests: counts[r.index]?.requests ?? 0, firstRequestMs: Number.isFinite(counts[r.index]?.firstMs) ? counts[r.index]!.firstMs : null }));
    return { scheduled: id + dropped, completed: id, unanswered: 0, cancelled: 0, dropped, lagMeasured: false, maxScheduleLagMs: 0, scheduleLagMs: { p50: 0, p99: 0, max: 0 }, eventLoopLagMs: { p99: 0, max: 0 }, runners };
  }

  async close(): Promise<void> {
    await Promise.all(this.#runners.map((r) => r.child.stop(3000)));
  }
}

