/** Runs the compiled CLI as a child process, bounded in time, and collects its output. */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/bundle/aire.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function startCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve) =>
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    }),
  );
  return { child, done };
}

/** The verdict lines of a run's output (hypotheses and their assertions): the message of a failed exit-code check. */
export const verdictLines = (stdout: string): string => stdout.split("\n").filter((l) => /PASS|FAIL|INCONCLUSIVE|observed /.test(l)).join("\n");

export function runCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** PIDs of the processes whose command line mentions `marker` (a run's TMPDIR is on every config path of its processes). */
export async function processesWith(marker: string): Promise<number[]> {
  const { readdir, readFile } = await import("node:fs/promises");
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(marker)) out.push(Number(entry));
  }
  return out;
}

/**
 * True while a process with this PID runs. A zombie (exited, not yet reaped by whoever inherited
 * it: a runner whose parent was SIGKILLed goes to init) has stopped: not alive.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): kill(0) is all there is
  }
}

/** Waits up to `withinMs` for every one of `pids` to exit (children noticing their parent is gone); returns those still running. */
export async function stillAlive(pids: readonly number[], withinMs = 10_000): Promise<number[]> {
  const deadline = performance.now() + withinMs;
  while (pids.some(alive) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

/**
 * The first line a child prints on stdout (a served component's `listening on …`). Rejects when the
 * child exits first or after `timeoutMs`, so that a test's `finally` runs and removes what it made
 * (a promise that never settles leaves the test to its timeout, and its temp files behind).
 */
export function firstLine(child: ChildProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no line on stdout within ${timeoutMs} ms`)), timeoutMs);
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? `code ${code}`}) before printing a line`));
    };
    child.once("exit", exited);
    lines.once("line", (line) => {
      clearTimeout(timer);
      child.off("exit", exited);
      resolve(line);
    });
  });
}

/** A loopback port nobody listens on: bound, then closed (a probe of it is refused). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The executable `name` on PATH, if any (the real third-party tools the tests compare with). */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const file = `${dir}/${name}`;
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
