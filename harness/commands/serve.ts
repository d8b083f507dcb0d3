/**
 * `aire serve provider|gateway|toxiproxy`: each component alone, for the orchestrator and for other
 * tools. Prints `listening on http://HOST:PORT` as its first stdout line once ready; stops on
 * SIGTERM/SIGINT, and when started by aire, when its parent goes away.
 * @module
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { HarnessError } from "../base/errors.js";
import { onParentGone } from "../base/lifecycle/child-service.js";
import { isLoopbackHost } from "../base/net/http-server.js";

export type ServeKind = "provider" | "pod" | "gateway" | "toxiproxy";

export interface ServeOptions {
  host: string;
  port?: number;
  config?: string;
  /** `pod` only: how long the pod "loads its model" before /ready answers 200. */
  coldStartMs?: number;
}

async function readConfig<S extends z.ZodType>(file: string | undefined, schema: S, required: boolean): Promise<z.output<S>> {
  if (!file) {
    if (required) throw new HarnessError("USAGE", { message: "--config FILE is required" });
    return schema.parse({});
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new HarnessError("USAGE", { message: `cannot read config ${file}: ${(err as Error).message}` });
  }
  // A JSON file that parses (what a provider writes for its pods) needs no YAML parser: a dozen of
  // these processes start at once. Anything else goes through YAML (JSON is YAML too), with
  // positions, so a bad value is reported at its line.
  if (file.endsWith(".json")) {
    const fast = jsonOrUndefined(text);
    if (fast !== undefined) {
      const result = schema.safeParse(fast);
      if (result.success) return result.data;
    }
  }
  // `.default`: yaml is CommonJS, whose named exports a bundled dynamic import does not give (dist/bundle/).
  const { LineCounter, parseDocument } = (await import("yaml")).default;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new HarnessError("USAGE", {
      message: `${file}: not valid YAML/JSON`,
      details: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}  ${e.message.split("\n")[0]}`;
      }),
    });
  }
  const data = doc.toJS() ?? {};
  const result = schema.safeParse(data);
  if (!result.success) {
    const { formatIssue, toIssues } = await import("../scenario/load.js");
    throw new HarnessError("USAGE", { message: `${file}: invalid config`, details: toIssues(result.error.issues, doc, lines, file, new Map(), data, schema).map(formatIssue) });
  }
  return result.data;
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Starts the component and resolves once it has stopped again. */
export async function serve(kind: ServeKind, options: ServeOptions): Promise<void> {
  if (!isLoopbackHost(options.host)) {
    throw new HarnessError("USAGE", { message: `--host ${options.host}: aire binds only to loopback addresses (127.0.0.0/8, ::1)` });
  }
  const listen = { host: options.host, port: options.port ?? (kind === "toxiproxy" ? 8474 : 0) };
  // Stopped while still starting (a run interrupted during start-up, or its parent gone): exit at
  // once, through process.exit so that exit clean-up (private temp files) runs; a provider's pods
  // see their channel close and exit too.
  const early = () => process.exit(143);
  process.once("SIGTERM", early);
  process.once("SIGINT", early);
  const unwatch = onParentGone(early);
  let server: { url: string; close(): Promise<void> };
  // Only the component's own modules are loaded: a run starts a dozen of these processes at once.
  if (kind === "provider") {
    const [{ providerConfigSchema }, { startProvider }] = await Promise.all([import("../reference/providers/config.js"), import("../reference/providers/provider.js")]);
    const config = await readConfig(options.config, providerConfigSchema, false);
    const provider = await startProvider(config, listen);
    server = provider;
    // A generated admin token is only known here: say it (on stderr; stdout's first line is the URL).
    if (!config.adminToken) process.stderr.write(`admin token: ${provider.adminToken}\n`);
  } else if (kind === "pod") {
    const [{ providerConfigSchema }, { startPodServer }] = await Promise.all([import("../reference/providers/config.js"), import("../reference/providers/pod-server.js")]);
    server = await startPodServer(await readConfig(options.config, providerConfigSchema, true), options.coldStartMs ?? 0, listen);
  } else if (kind === "gateway") {
    const [{ gatewayConfigSchema, resolveGatewayConfig }, { startGateway }] = await Promise.all([import("../reference/gateway/config.js"), import("../reference/gateway/gateway.js")]);
    const gateway = await startGateway(resolveGatewayConfig(await readConfig(options.config, gatewayConfigSchema, true)), listen);
    // In the gateway's own process only: an in-process gateway would start a sampler per instance.
    gateway.core.metrics.exportProcessMetrics();
    server = gateway;
  } else {
    const [{ startToxiproxy }, { Toxiproxy }] = await Promise.all([import("../reference/toxiproxy/server.js"), import("toxiproxy-node-client").then((m) => m.default)]);
    const toxiproxy = await startToxiproxy(listen);
    server = toxiproxy;
    if (options.config) {
      // Like toxiproxy-server -config: populate from a JSON array of proxies at start-up.
      const proxies = JSON.parse(await readFile(options.config, "utf8"));
      await new Toxiproxy(toxiproxy.url).populate(proxies);
    }
  }
  process.off("SIGTERM", early);
  process.off("SIGINT", early);
  unwatch();
  process.stdout.write(`listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    onParentGone(stop);
  });
  await server.close();
  // The IPC channel to a parent aire would keep this process alive after the server has closed.
  if (process.connected) process.disconnect();
}
