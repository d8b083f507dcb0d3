/**
 * Runs one component (`aire serve provider|gateway|toxiproxy`) as a child process, waits for its
 * `listening on URL` line, and stops it by its PID: SIGTERM, then SIGKILL after a grace period.
 * The child also exits by itself when its IPC channel to us closes (we died).
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { HarnessError } from "../errors.js";
import { cliEntry } from "../package-root.js";

export type ServiceKind = "provider" | "pod" | "gateway" | "toxiproxy";

/**
 * The children this process started that have not exited. However this process ends (its own
 * `process.exit`, as a component stopped while still starting does, or an error), they are sent
 * SIGTERM on the way out: a child still booting Node dies of it at once, where its IPC watch
 * would notice the lost parent only once its modules had loaded (16 pods starting on 2 cores:
 * up to 7 s later). After a SIGKILL, the IPC watch is what remains.
 */
const live = new Set<ChildProcess>();
let reaperInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGTERM");
  });
}

export interface ChildService extends AsyncDisposable {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the component and waits for its URL. `signal` stops a start that is still going: the
 * child is stopped (and waited for) and the start rejects with the signal's reason, at once.
 */
export async function startChildService(kind: ServiceKind, label: string, args: readonly string[], options: { readyTimeoutMs?: number; onStderr?: (line: string) => void; signal?: AbortSignal } = {}): Promise<ChildService> {
  options.signal?.throwIfAborted();
  const entry = cliEntry();
  if (!existsSync(entry)) throw new HarnessError("STACK_START_FAILED", { message: `${entry} is missing: run "npm run build" first (it compiles and bundles)` });
  const child = spawn(process.execPath, [entry, "serve", kind, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe", "ipc"], env: { ...process.env, AIRE_CHILD: "1" } });
  track(child);
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    stderr.push(line);
    if (stderr.length > 50) stderr.shift();
    options.onStderr?.(line);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let onAbort: (() => void) | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within ${options.readyTimeoutMs ?? 10_000} ms`)), options.readyTimeoutMs ?? 10_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      m ? resolve(m[1]!) : reject(new Error(`unexpected first line: ${line}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? `code ${code}`}) before it was ready${stderr.length ? `: ${stderr.slice(-3).join(" | ")}` : ""}`));
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    onAbort = () => {
      clearTimeout(timer);
      reject(options.signal!.reason);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
  }).finally(() => {
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
  }).catch(async (err: unknown) => {
    if (options.signal?.aborted) {
      // Stopped while starting: SIGTERM (a starting component exits at once, cleaning up), then SIGKILL.
      await kill(child, exited, 1000);
      throw options.signal.reason;
    }
    await kill(child, exited, 0);
    throw new HarnessError("STACK_START_FAILED", { message: `${label} (aire serve ${kind}) failed to start`, cause: err });
  });
  child.stdout!.resume();
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= kill(child, exited, 2000));
  return { label, url, pid: child.pid!, process: child, stop, [Symbol.asyncDispose]: stop };
}

/** A child of this process that is not a listening component (a traffic worker): its exit, and how to stop it. */
export interface AireChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves when it has exited and its channel and pipes are closed: its code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `aire <args>` (the bundled command line) with an IPC channel: it dies with this process
 * as the components do (the channel closes; SIGTERM on the way out), and is stopped by its PID.
 */
export function spawnAireChild(args: readonly string[], options: { onStderr?: (line: string) => void } = {}): AireChild {
  const entry = cliEntry();
  if (!existsSync(entry)) throw new HarnessError("STACK_START_FAILED", { message: `${entry} is missing: run "npm run build" first (it compiles and bundles)` });
  return spawnTracked(process.execPath, [entry, ...args], { ...options, ipc: true, env: { ...process.env, AIRE_CHILD: "1" } });
}

/**
 * Linux's parent-death signal, through util-linux's `setpriv --pdeathsig` (Essential in Debian):
 * the kernel kills the child when this process dies, SIGKILL included. Elsewhere, undefined.
 */
const setpriv = process.platform === "linux" ? ["/usr/bin/setpriv", "/bin/setpriv"].find((f) => existsSync(f)) : undefined;

/**
 * Starts another program as a child of this process (a k6 runner): stderr by line to `onStderr`,
 * SIGTERM to it on the way out of this process, stopped by its PID. `dieWithParent`: a program
 * that does not watch its parent is killed by the kernel when this process dies, however it dies
 * (Linux, `setpriv --pdeathsig SIGKILL`, which execs the program: the PID is the program's).
 */
export function spawnTracked(command: string, args: readonly string[], options: { onStderr?: (line: string) => void; env?: NodeJS.ProcessEnv; ipc?: boolean; dieWithParent?: boolean } = {}): AireChild {
  if (options.dieWithParent && setpriv) {
    args = ["--pdeathsig", "SIGKILL", "--", command, ...args];
    command = setpriv;
  }
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe", ...(options.ipc ? (["ipc"] as const) : [])], env: options.env ?? process.env });
  track(child);
  createInterface({ input: child.stderr! }).on("line", (line) => options.onStderr?.(line));
  // "close", not "exit": the messages it sent before exiting have all been delivered by then.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  // A program that cannot start (not found) ends as a close with an error first.
  child.once("error", () => {});
  let stopping: Promise<void> | undefined;
  return {
    process: child,
    pid: child.pid ?? -1,
    exited,
    stop: (graceMs = 2000) =>
      (stopping ??= kill(
        child,
        exited.then(() => {}),
        graceMs,
      )),
  };
}

/**
 * In a component started by aire (with an IPC channel), calls `fn` once the channel to the parent
 * has closed: the parent has gone (killed, or ended without stopping us). Node emits `disconnect`
 * once, when it notices, and a component loading its modules may not listen yet: a channel already
 * closed is reported too (on the next tick). Returns the function that stops watching. Outside
 * aire (no channel) it never calls `fn`.
 */
export function onParentGone(fn: () => void): () => void {
  if (!process.send) return () => {};
  if (!process.connected) {
    const timer = setImmediate(fn);
    return () => clearImmediate(timer);
  }
  process.once("disconnect", fn);
  return () => process.off("disconnect", fn);
}

async function kill(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(graceMs > 0 ? "SIGTERM" : "SIGKILL");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
