/**
 * The run's telemetry scraper against real endpoints: a prom-client registry served over HTTP as
 * the reference stack serves its own, one that answers too late, one that refuses.
 */
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry } from "prom-client";
import { describe, expect, test } from "vitest";
import { watchTelemetry } from "../../harness/orchestrator/telemetry-watch.js";
import type { TelemetryLine } from "../../harness/results/telemetry.js";

async function serve(handler: (res: import("node:http").ServerResponse) => void): Promise<{ url: string; server: Server } & AsyncDisposable> {
  const server = createServer((_req, res) => handler(res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, [Symbol.asyncDispose]: async () => void (server.closeAllConnections(), server.close()) };
}

describe("telemetry watch", () => {
  test("scrapes every interval, keeps only the stack's series, writes a component that is late or down as an error line, and stops", async () => {
    const registry = new Registry();
    const state = new Gauge({ name: "aire_gateway_breaker_state", help: "b", labelNames: ["provider"], registers: [registry] });
    const retries = new Counter({ name: "aire_gateway_retries_total", help: "r", labelNames: ["provider", "kind"], registers: [registry] });
    new Gauge({ name: "some_other_metric", help: "o", registers: [registry] }).set(1);
    state.set({ provider: "primary" }, 0);
    await using gateway = await serve(async (res) => void res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics()));
    await using late = await serve((res) => void setTimeout(() => res.end("x 1"), 1_500));
    const down = await serve((res) => res.end());
    const downUrl = down.url;
    await down[Symbol.asyncDispose]();

    const lines: TelemetryLine[] = [];
    const started = performance.now();
    const watch = watchTelemetry(
      [
        { component: "gateway", url: gateway.url },
        { component: "provider-late", url: late.url },
        { component: "provider-down", url: downUrl },
      ],
      (line) => lines.push(line),
      () => performance.now() - started,
      300,
    );
    await new Promise((r) => setTimeout(r, 350));
    state.set({ provider: "primary" }, 2);
    retries.inc({ provider: "secondary", kind: "fallback" }, 4);
    await new Promise((r) => setTimeout(r, 700));
    await watch.stop();
    const stoppedAt = lines.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(lines).toHaveLength(stoppedAt); // nothing after stop()

    const ofGateway = lines.filter((l) => l.component === "gateway");
    expect(ofGateway.length).toBeGreaterThanOrEqual(3);
    expect(ofGateway[0]!.values).toEqual({ 'aire_gateway_breaker_state{provider="primary"}': 0 });
    expect(ofGateway.at(-1)!.values).toEqual({ 'aire_gateway_breaker_state{provider="primary"}': 2, 'aire_gateway_retries_total{kind="fallback",provider="secondary"}': 4 });
    // Each scrape is timed from when it was started, on the given clock.
    expect(ofGateway.map((l) => l.t)).toEqual([...ofGateway.map((l) => l.t)].sort((a, b) => a - b));
    // A late one is cut at the interval and not asked again while its scrape is in flight.
    const ofLate = lines.filter((l) => l.component === "provider-late");
    expect(ofLate.length).toBeGreaterThanOrEqual(2);
    expect(ofLate.every((l) => l.values === undefined && /abort|timeout/i.test(l.error ?? ""))).toBe(true);
    const ofDown = lines.filter((l) => l.component === "provider-down");
    expect(ofDown.length).toBeGreaterThanOrEqual(3);
    expect(ofDown[0]!.error).toMatch(/ECONNREFUSED/);
  });
});
