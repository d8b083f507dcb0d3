/**
 * `aire worker` (hidden): one traffic generator process of `aire run --workers N`, started by the
 * run with an IPC channel; it is told everything over that channel (traffic/worker.ts).
 * @module
 */
import type { Command } from "commander";

export function registerWorker(program: Command): void {
  program
    .command("worker", { hidden: true })
    .description("one traffic generator process of aire run --workers N (started by the run, over IPC)")
    .action(async () => {
      const { workerMain } = await import("../traffic/worker.js");
      await workerMain();
      // The channel keeps the process alive: once the result is sent, let go of it.
      if (process.connected) process.disconnect();
    });
}
