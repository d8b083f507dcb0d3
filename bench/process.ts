/** Starts a benchmark component as its own process and waits for its `listening on URL` line. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
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

/** In an upstream process: listens on a free loopback port, prints `listening on URL`, and exits on SIGTERM or when its parent goes. */
export function serveUpstream(server: Server): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
  process.once("SIGTERM", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
  if (process.send) process.once("disconnect", () => process.exit(0));
}
