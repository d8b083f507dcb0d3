/**
 * Private temporary directories: each named `aire-<pid>-<label>-XXXXXX` after the process that owns
 * it, mode 0700 (files inside 0600), removed by their owner, and swept by the next run when their
 * owner is gone (a SIGKILL runs no clean-up).
 * @module
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const owned = new Set<string>();
let exitHook = false;

/**
 * Makes a private directory owned by this process. It is removed by `remove()`, or at the latest
 * when the process exits (also through `process.exit`, as a child does when its parent dies).
 */
export function privateTempDir(label: string): { path: string; remove(): Promise<void> } {
  const path = mkdtempSync(join(tmpdir(), `aire-${process.pid}-${label}-`));
  owned.add(path);
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const dir of owned) rmSync(dir, { recursive: true, force: true });
    });
  }
  return {
    path,
    remove: async () => {
      owned.delete(path);
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** True while a process with this PID exists (EPERM: it exists, and is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes what dead aire processes left in the temp directory: `aire-<pid>-…` entries whose
 * process is gone, and the pod configs older versions wrote (`aire-pod-<pid>-…json`). Returns
 * the names removed. A live process's entries, and anything not named so, are left alone.
 */
export function sweepTemp(dir = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^aire-(?:pod-)?(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Someone else's file (another user's): not ours to remove.
    }
  }
  return removed;
}
