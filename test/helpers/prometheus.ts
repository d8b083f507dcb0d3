/**
 * A real Prometheus (Debian's `prometheus` package, which .ci/run installs when missing) on
 * 127.0.0.1, with its remote-write receiver on and its scrape targets in a file it watches
 * (file_sd): a test names what to scrape once it knows the ports. Stopped by its PID; its
 * directory removed. Tests skip, saying why, where the binary is absent.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort, onPath } from "./cli.js";

export const prometheusBinary = onPath("prometheus");
export const prometheusMissing = prometheusBinary ? undefined : "prometheus is not on PATH (Debian's prometheus package; .ci/run installs it)";

export interface StartedPrometheus extends AsyncDisposable {
  url: string;
  /** Scrapes these host:port targets (their /metrics) every `scrapeInterval`, from now on. */
  scrape(targets: readonly string[]): Promise<void>;
  /** An instant PromQL query's result. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

export async function startPrometheus(options: { scrapeInterval?: string } = {}): Promise<StartedPrometheus> {
  if (!prometheusBinary) throw new Error(prometheusMissing);
  const dir = await mkdtemp(join(tmpdir(), "aire-prometheus-"));
  const targetsFile = join(dir, "targets.json");
  await writeFile(targetsFile, "[]");
  const interval = options.scrapeInterval ?? "1s";
  await writeFile(join(dir, "prometheus.yml"), `global: { scrape_interval: ${interval}, evaluation_interval: ${interval} }\nscrape_configs:\n  - job_name: aire\n    file_sd_configs: [ { files: [ ${JSON.stringify(targetsFile)} ], refresh_interval: 1s } ]\n`);
  const port = await closedPort();
  const child = spawn(prometheusBinary, [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--web.enable-remote-write-receiver", "--log.level=warn"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = once(child, "exit");
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = performance.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`);
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (performance.now() > deadline) throw new Error(`prometheus not ready within 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async scrape(targets) {
      await writeFile(targetsFile, JSON.stringify([{ targets: [...targets], labels: {} }]));
    },
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return body.data.result;
    },
    [Symbol.asyncDispose]: stop,
  };
}
