/**
 * `aire serve`: run one component alone: a synthetic provider, the reference gateway, or the embedded Toxiproxy.
 * @module
 */
import { Command, Option } from "commander";
import type { ServeKind } from "../commands/serve.js";
import { port } from "./options.js";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run one component alone: a synthetic provider, the reference gateway, or the embedded Toxiproxy")
    .addArgument(new Command().createArgument("<component>", "provider | gateway | toxiproxy (pod: one pod process, started by a provider)").choices(["provider", "gateway", "toxiproxy", "pod"]))
    .option("--host <host>", "loopback address to bind", "127.0.0.1")
    .addOption(new Option("--port <port>", "port (0 picks a free one; toxiproxy defaults to 8474, the others to 0)").argParser(port))
    .option("--config <file>", "component config (YAML or JSON; for toxiproxy, a /populate JSON array)")
    .addOption(new Option("--cold-start-ms <ms>", "pod only: model load time before the pod is ready").argParser(Number).hideHelp())
    .action(async (component: ServeKind, flags: { host: string; port?: number; config?: string; coldStartMs?: number }) => {
      await (await import("../commands/serve.js")).serve(component, flags);
    });
}
