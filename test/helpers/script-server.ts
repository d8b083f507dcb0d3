/** Runs a fixture server script (test/fixtures/servers) in its own process; disposed by `await using` (SIGKILL by its PID). */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "servers");

export async function scriptServer(script: string, args: readonly (string | number)[]): Promise<{ url: string; pid: number } & AsyncDisposable> {
  const child = spawn(process.execPath, [join(FIXTURES, script), ...args.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 10 s`)), 10_000);
    createInterface({ input: child.stdout! }).once("line", (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  const url = /^listening on (http:\/\/\S+)$/.exec(line)?.[1];
  if (!url) {
    await stop();
    throw new Error(`${script}: unexpected first line ${line}`);
  }
  return { url, pid: child.pid!, [Symbol.asyncDispose]: stop };
}
