/** Starts a benchmark component as its own process and waits for its `listening on URL` line; and the scenario the streaming benches share. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
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

/**
 * A one-phase scenario against a URL target that streams 10-token answers (stream-upstream.js),
 * written to `file`: what the workers and game-day benches run, with their own arrival and client.
 */
export async function writeStreamingScenario(file: string, o: { name: string; url: string; arrival: string; client: string; seconds: number; hypotheses?: string }): Promise<void> {
  await writeFile(
    file,
    `apiVersion: aire/v1
name: ${o.name}
seed: 5
target: { url: ${o.url}/v1 }
traffic:
  model: m
  arrival: ${o.arrival}
  mix: [ { name: chat, stream: true, promptTokens: 50, maxTokens: 10 } ]
  client: ${o.client}
phases: [ { name: load, duration: ${o.seconds}s } ]
${o.hypotheses ?? ""}`,
  );
}
