/** Starts a benchmark component as its own process and waits for its `listening on URL` line. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));

export async function startProcess(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const url = /listening on (\S+)/.exec(line)![1]!;
  child.stdout!.resume();
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}
