import { describe, expect, test } from "vitest";
import { Toxiproxy, type Latency } from "toxiproxy-node-client";
import { toxiproxy } from "../helpers/stack.js";
import { echoServer, roundTrip } from "../helpers/tcp.js";
import { onQuietMachine } from "../helpers/machine.js";

/** An embedded Toxiproxy with one proxy "p" in front of a TCP echo server. */
async function proxiedEcho() {
  const tp = await toxiproxy();
  const echo = await echoServer();
  const client = new Toxiproxy(tp.url);
  const proxy = await client.createProxy({ name: "p", listen: "127.0.0.1:0", upstream: `127.0.0.1:${echo.port}` });
  return {
    tp,
    client,
    proxy,
    [Symbol.asyncDispose]: async () => {
      await tp.close();
      await echo[Symbol.asyncDispose]();
    },
  };
}

const raw = async (url: string, method: string, path: string, body?: string) => {
  const res = await fetch(`${url}${path}`, { method, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text(), requestId: res.headers.get("x-toxiproxy-request-id") };
};

describe("embedded Toxiproxy: the 2.12 HTTP API", () => {
  test("version, create, list, get, delete with the real status codes and shapes", async () => {
    await using tp = await toxiproxy();
    await using echo = await echoServer();
    const client = new Toxiproxy(tp.url);
    expect(await client.getVersion()).toBe('{"version": "2.12.0"}\n');
    const created = await raw(tp.url, "POST", "/proxies", JSON.stringify({ name: "echo", listen: "localhost:0", upstream: `127.0.0.1:${echo.port}` }));
    expect(created.status).toBe(201);
    const proxy = JSON.parse(created.text);
    expect(Object.keys(proxy)).toEqual(["name", "listen", "upstream", "enabled", "Logger", "toxics"]);
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxy.listen).not.toBe("127.0.0.1:0");
    expect(proxy).toMatchObject({ enabled: true, toxics: [] });
    expect(created.requestId).toMatch(/^[0-9a-f]{20}$/);
    expect(JSON.parse((await raw(tp.url, "GET", "/proxies")).text)).toEqual({ echo: proxy });
    expect((await client.get("echo")).listen).toBe(proxy.listen);
    expect((await roundTrip(proxy.listen)).data).toBe("ping");
    expect((await raw(tp.url, "DELETE", "/proxies/echo")).status).toBe(204);
    expect((await roundTrip(proxy.listen)).error).toBe("ECONNREFUSED");
  });

  test.each([
    ["POST", "/proxies", "", 400, "bad request body: EOF"],
    ["POST", "/proxies", '{"name":', 400, "bad request body: unexpected EOF"],
    ["POST", "/proxies", '{"upstream":"127.0.0.1:1"}', 400, "missing required field: name"],
    ["POST", "/proxies", '{"name":"x"}', 400, "missing required field: upstream"],
    ["POST", "/proxies", '{"name":1,"upstream":"a:1"}', 400, "bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string"],
    ["GET", "/proxies/missing", undefined, 404, "proxy not found"],
    ["DELETE", "/proxies/missing/toxics/t", undefined, 404, "proxy not found"],
  ])("%s %s %s → %i %s", async (method, path, body, status, message) => {
    await using tp = await toxiproxy();
    const res = await raw(tp.url, method, path, body);
    expect(res.status).toBe(status);
    expect(res.type).toBe("text/plain; charset=utf-8");
    expect(res.text).toBe(`${JSON.stringify({ error: message, status })}\n`);
  });

  test("unknown paths, wrong methods and browsers", async () => {
    await using tp = await toxiproxy();
    expect(await raw(tp.url, "GET", "/nope")).toMatchObject({ status: 404, text: "404 page not found\n", requestId: null });
    expect(await raw(tp.url, "PUT", "/proxies")).toMatchObject({ status: 405, text: "" });
    const browser = await fetch(`${tp.url}/proxies`, { headers: { "user-agent": "Mozilla/5.0" } });
    expect([browser.status, await browser.text()]).toEqual([403, "User agent not allowed\n"]);
  });

  test("toxic defaults, validation order and errors", async () => {
    await using tp = await toxiproxy();
    await using echo = await echoServer();
    const client = new Toxiproxy(tp.url);
    await client.createProxy({ name: "p", listen: "127.0.0.1:0", upstream: `127.0.0.1:${echo.port}` });
    const add = (body: unknown) => raw(tp.url, "POST", "/proxies/p/toxics", JSON.stringify(body));
    const created = await add({ type: "latency", attributes: { latency: 10, bogus: 1 } });
    expect(created.status).toBe(200);
    expect(JSON.parse(created.text)).toEqual({ attributes: { latency: 10, jitter: 0 }, name: "latency_downstream", type: "latency", stream: "downstream", toxicity: 1 });
    expect(JSON.parse((await add({ type: "latency", stream: "UPSTREAM" })).text)).toMatchObject({ name: "latency_UPSTREAM", stream: "UPSTREAM" });
    expect(await add({ type: "latency" })).toMatchObject({ status: 409, text: '{"error":"toxic already exists","status":409}\n' });
    expect(await add({ type: "latency", name: "latency_downstream", attributes: { latency: "x" } })).toMatchObject({ status: 409 });
    expect(await add({ type: "down" })).toMatchObject({ status: 400, text: '{"error":"invalid toxic type","status":400}\n' });
    expect(await add({ type: "latency", stream: "" })).toMatchObject({ status: 400, text: '{"error":"stream was invalid, can be either upstream or downstream","status":400}\n' });
    expect((await add({ type: "latency", name: "l2", attributes: { latency: "x" } })).text).toMatch(/cannot unmarshal string into Go struct field LatencyToxic\.attributes\.latency of type int64/);
    const list = JSON.parse((await raw(tp.url, "GET", "/proxies/p/toxics")).text);
    expect(list.map((t: { name: string }) => t.name)).toEqual(["latency_UPSTREAM", "latency_downstream"]);
    const patched = await raw(tp.url, "PATCH", "/proxies/p/toxics/latency_downstream", JSON.stringify({ attributes: { jitter: 5 }, name: "ignored", type: "noop" }));
    expect(JSON.parse(patched.text)).toEqual({ attributes: { latency: 10, jitter: 5 }, name: "latency_downstream", type: "latency", stream: "downstream", toxicity: 1 });
    expect((await raw(tp.url, "GET", "/proxies/p/toxics/none")).status).toBe(404);
    expect((await raw(tp.url, "DELETE", "/proxies/p/toxics/latency_downstream")).status).toBe(204);
  });

  test("latency: the effect is added to live connections and the rollback removes it", async (ctx) => {
    // An upper bound on elapsed time: measured again when the machine was busy (the hypervisor's
    // steal failed such bounds in CI, 2026-12-03), failed at once on a quiet one.
    await onQuietMachine(ctx, async () => {
      await using setup = await proxiedEcho();
      const { proxy } = setup;
      const before = await roundTrip(proxy.listen);
      expect(before.ms).toBeLessThan(50);
      const toxic = await proxy.addToxic<Latency>({ name: "slow", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 300, jitter: 0 } });
      const during = await roundTrip(proxy.listen);
      expect(during.data).toBe("ping");
      expect(during.ms).toBeGreaterThanOrEqual(299);
      expect(during.ms).toBeLessThan(360);
      await toxic.remove();
      const after = await roundTrip(proxy.listen);
      expect(after.ms).toBeLessThan(50);
    });
  });

  test("latency: removing the toxic flushes held data at once instead of dropping it", async (ctx) => {
    // An upper bound on elapsed time: measured again when the machine was busy (the hypervisor's
    // steal failed such bounds in CI, 2026-12-03), failed at once on a quiet one.
    await onQuietMachine(ctx, async () => {
      await using setup = await proxiedEcho();
      const { proxy } = setup;
      const toxic = await proxy.addToxic<Latency>({ name: "slow", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 2000, jitter: 0 } });
      const pending = roundTrip(proxy.listen);
      await new Promise((r) => setTimeout(r, 100));
      await toxic.remove();
      const result = await pending;
      expect(result.data).toBe("ping");
      expect(result.ms).toBeLessThan(500);
    });
  });

  test("toxicity 0 never applies; a disabled proxy refuses connections until enabled again", async (ctx) => {
    // An upper bound on elapsed time: measured again when the machine was busy (the hypervisor's
    // steal failed such bounds in CI, 2026-12-03), failed at once on a quiet one.
    await onQuietMachine(ctx, async () => {
      await using setup = await proxiedEcho();
      const { proxy } = setup;
      await proxy.addToxic<Latency>({ name: "never", type: "latency", stream: "downstream", toxicity: 0, attributes: { latency: 500, jitter: 0 } });
      expect((await roundTrip(proxy.listen)).ms).toBeLessThan(100);
      const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      expect(disabled.enabled).toBe(false);
      expect((await roundTrip(proxy.listen)).error).toBe("ECONNREFUSED");
      await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
      expect((await roundTrip(proxy.listen)).data).toBe("ping");
    });
  });

  test("/reset re-enables every proxy and removes every toxic", async () => {
    await using setup = await proxiedEcho();
    const { tp, client, proxy } = setup;
    await proxy.addToxic<Latency>({ name: "slow", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 500, jitter: 0 } });
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await client.reset();
    const after = JSON.parse((await raw(tp.url, "GET", "/proxies/p")).text);
    expect(after).toMatchObject({ enabled: true, toxics: [] });
    expect((await roundTrip(proxy.listen)).ms).toBeLessThan(100);
  });

  test("/populate creates, keeps unchanged proxies with their toxics, and validates first", async () => {
    await using tp = await toxiproxy();
    await using echo = await echoServer();
    const upstream = `127.0.0.1:${echo.port}`;
    const first = await raw(tp.url, "POST", "/populate", JSON.stringify([{ name: "a", listen: "127.0.0.1:0", upstream }]));
    expect(first.status).toBe(201);
    expect(first.type).toBe("application/json");
    const a = JSON.parse(first.text).proxies[0];
    await raw(tp.url, "POST", "/proxies/a/toxics", JSON.stringify({ type: "latency", attributes: { latency: 5 } }));
    const again = JSON.parse((await raw(tp.url, "POST", "/populate", JSON.stringify([{ name: "a", listen: a.listen, upstream }]))).text);
    expect(again.proxies[0].toxics).toHaveLength(1);
    const bad = await raw(tp.url, "POST", "/populate", JSON.stringify([{ name: "b", upstream }, { name: "c" }]));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({ error: "missing required field: upstream at proxy 2", status: 400, proxies: null });
    expect(JSON.parse((await raw(tp.url, "GET", "/proxies")).text)).not.toHaveProperty("b");
    expect(JSON.parse((await raw(tp.url, "POST", "/populate", "[]")).text)).toEqual({ proxies: null });
  });

  test("an upstream that cannot be dialled: the client is accepted, then closed", async (ctx) => {
    // An upper bound on elapsed time: measured again when the machine was busy (the hypervisor's
    // steal failed such bounds in CI, 2026-12-03), failed at once on a quiet one.
    await onQuietMachine(ctx, async () => {
      await using tp = await toxiproxy();
      const client = new Toxiproxy(tp.url);
      const proxy = await client.createProxy({ name: "dead", listen: "127.0.0.1:0", upstream: "127.0.0.1:1" });
      const result = await roundTrip(proxy.listen);
      expect(result.error).toBe("CLOSED");
      expect(result.ms).toBeLessThan(200);
    });
  });
});
