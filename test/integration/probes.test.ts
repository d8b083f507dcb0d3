/**
 * Reading probes once (issue 21), against real servers on 127.0.0.1: an HTTP check's outcome
 * (status, JSON, latency, headers from the environment), a reference provider's own /metrics,
 * and what a probe that cannot be heard reads as. The PromQL probe against a real Prometheus is
 * in test/e2e/prometheus.test.ts.
 */
import { describe, expect, test } from "vitest";
import { startHttpServer } from "../../harness/base/net/http-server.js";
import { readProbe } from "../../harness/probes/read.js";
import { probeSchema } from "../../harness/probes/schema.js";
import { closedPort } from "../helpers/cli.js";
import { chat, provider } from "../helpers/stack.js";

const probe = (spec: Record<string, unknown>) => probeSchema.parse({ name: "p", ...spec });
const once = async (spec: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => (await readProbe(probe(spec), { at: 0, moment: "during", env }))[0]!;

describe("http probes", () => {
  test("status, JSON and latency checks give 1 or 0 with what failed; a JSON path alone gives its number; headers come from the environment", async () => {
    await using server = await startHttpServer((req, res) => {
      const json = (status: number, body: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.url === "/ready") json(200, { status: "ok", providers: { primary: "closed" } });
      else if (req.url === "/degraded") json(503, { status: "degraded" });
      else if (req.url === "/depth") json(200, { queue: { depth: [7, 3] } });
      else if (req.url === "/slow") setTimeout(() => json(200, { status: "ok" }), 300);
      else if (req.url === "/whoami") json(req.headers.authorization === "Bearer s3cret" ? 200 : 401, { auth: req.headers.authorization ?? null });
      else json(404, {});
    });
    const ok = await once({ http: { url: `${server.url}/ready`, json: { path: "$.providers.primary", op: "==", value: "closed" } } });
    expect(ok).toMatchObject({ series: [{ labels: {}, value: 1 }], status: 200 });
    expect(ok.failed).toBeUndefined();
    const degraded = await once({ http: { url: `${server.url}/degraded`, json: { path: "$.status", op: "==", value: "ok" } } });
    expect(degraded).toMatchObject({ series: [{ value: 0 }], status: 503, failed: 'status 503, expected 200; $.status is "degraded", expected == "ok"' });
    // An expected 503 is a 1: the check is what the scenario says.
    expect(await once({ http: { url: `${server.url}/degraded`, status: [503] } })).toMatchObject({ series: [{ value: 1 }] });
    expect(await once({ http: { url: `${server.url}/depth`, json: { path: "$.queue.depth[0]" } } })).toMatchObject({ series: [{ value: 7 }] });
    expect(await once({ http: { url: `${server.url}/depth`, json: { path: "$.queue.depth[0]", op: ">", value: 5 } } })).toMatchObject({ series: [{ value: 1 }] });
    // The number is missing: the probe could not read what it was asked for.
    expect((await once({ http: { url: `${server.url}/depth`, json: { path: "$.queue.size" } } })).error).toMatch(/\$\.queue\.size is missing in the answer \(status 200\), not a number/);
    const slow = await once({ http: { url: `${server.url}/slow`, maxLatency: "100ms" } });
    expect(slow.series![0]!.value).toBe(0);
    expect(slow.latencyMs).toBeGreaterThanOrEqual(290);
    expect(slow.failed).toMatch(/^answered in \d+ ms, more than 100 ms$/);
    expect(await once({ http: { url: `${server.url}/whoami`, headersFromEnv: { authorization: "PROBE_AUTH" } } }, { PROBE_AUTH: "Bearer s3cret" })).toMatchObject({ series: [{ value: 1 }], status: 200 });
    expect(await once({ http: { url: `${server.url}/whoami`, headersFromEnv: { authorization: "PROBE_AUTH" } } }, { PROBE_AUTH: "Bearer wrong" })).toMatchObject({ series: [{ value: 0 }], status: 401 });
  });

  test("not heard: refused, or no answer within the timeout, is an error and no value", async () => {
    const free = await closedPort();
    const refused = await once({ http: { url: `http://127.0.0.1:${free}/ready` } });
    expect(refused.series).toBeUndefined();
    expect(refused.error).toMatch(/ECONNREFUSED/);
    await using silent = await startHttpServer(() => new Promise(() => {}));
    const started = performance.now();
    const timedOut = await once({ http: { url: `${silent.url}/ready` }, timeout: "200ms" });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(timedOut).toMatchObject({ error: "no answer within the probe's timeout" });
  });
});

describe("metrics probes", () => {
  test("a reference provider's own /metrics: the series a selector names, with their labels, as they change", async () => {
    await using p = await provider({ ttftMs: 5, decodeTokensPerSec: 2000 });
    const componentUrl = (name: string) => (name === "primary" ? p.url : undefined);
    const read = async (series: string) => (await readProbe(probe({ metrics: { component: "primary", series } }), { at: 0, moment: "during", componentUrl }))[0]!;
    // A labelled counter appears once it counts.
    expect((await read('aire_provider_requests_total{status="2xx"}')).series).toEqual([]);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat("sim-model") });
      await res.text();
      expect(res.status).toBe(200);
    }
    expect((await read('aire_provider_requests_total{status=~"2.."}')).series).toEqual([{ labels: { status: "2xx" }, value: 3 }]);
    expect((await read('aire_provider_requests_total{status!="2xx"}')).series).toEqual([]);
    expect((await readProbe(probe({ metrics: { component: "gateway", series: "x" } }), { at: 0, moment: "during", componentUrl }))[0]!.error).toBe("no component named gateway in this stack");
  });
});
