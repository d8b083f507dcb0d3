/**
 * The real Toxiproxy is the spec (issue 18): the same toxic sequences driven through aire's
 * embedded server and a real `toxiproxy-server` 2.12.0, side by side, and what a client observes
 * compared — bytes, how the connection ends (FIN or reset), and timings within a tolerance, never
 * early. Also the `url` backend of a whole run against the real server. Needs `toxiproxy-server`
 * on PATH (`.ci/run` adds ../shared/tools/bin where it exists); skipped, saying why, elsewhere.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closedPort, onPath, runCli, verdictLines } from "../helpers/cli.js";
import { toxiproxy } from "../helpers/stack.js";
import { echoServer, observe, pingPong, sourceServer } from "../helpers/tcp.js";
import { onQuietMachine } from "../helpers/machine.js";

const binary = onPath("toxiproxy-server");
const missing = binary ? undefined : "toxiproxy-server is not on PATH (../shared/tools/bin has the real 2.12.0; .ci/run puts it on PATH)";
if (missing) console.log(`real Toxiproxy differential tests skipped: ${missing}`);

let real: { url: string; child: ChildProcess } | undefined;
let embedded: Awaited<ReturnType<typeof toxiproxy>> | undefined;

beforeAll(async () => {
  if (!binary) return;
  const port = await closedPort();
  const child = spawn(binary, ["-host", "127.0.0.1", "-port", String(port)], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 10_000;
  for (;;) {
    const up = await fetch(`${url}/version`).then((r) => r.ok, () => false);
    if (up) break;
    if (performance.now() > deadline) throw new Error("toxiproxy-server did not answer within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  real = { url, child };
  embedded = await toxiproxy();
});
afterAll(async () => {
  if (real) {
    real.child.kill("SIGKILL");
    await once(real.child, "exit").catch(() => {});
  }
  await embedded?.close();
});

/** A fresh proxy to `upstreamPort` on each server, with `toxics` added in order; the two listen addresses. */
async function both(name: string, upstreamPort: number, toxics: Record<string, unknown>[]): Promise<{ real: string; embedded: string }> {
  const out: string[] = [];
  for (const url of [real!.url, embedded!.url]) {
    const res = await fetch(`${url}/proxies`, { method: "POST", body: JSON.stringify({ name, listen: "127.0.0.1:0", upstream: `127.0.0.1:${upstreamPort}` }) });
    expect(res.status).toBe(201);
    const proxy = (await res.json()) as { listen: string };
    for (const toxic of toxics) expect((await fetch(`${url}/proxies/${name}/toxics`, { method: "POST", body: JSON.stringify(toxic) })).status).toBe(200);
    out.push(proxy.listen.replace(/^\[::\]/, "127.0.0.1"));
  }
  return { real: out[0]!, embedded: out[1]! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.skipIf(missing !== undefined)("embedded Toxiproxy against the real toxiproxy-server 2.12.0", () => {
  test("latency 50 ms: never early on either; medians within 3 ms", async (ctx) => {
    await onQuietMachine(ctx, async () => {
      await using echo = await echoServer();
      const at = await both("latency", echo.port, [{ type: "latency", attributes: { latency: 50 } }]);
      const r = await pingPong(at.real, 40);
      const e = await pingPong(at.embedded, 40);
      expect(Math.min(...r)).toBeGreaterThanOrEqual(50);
      expect(Math.min(...e)).toBeGreaterThanOrEqual(50);
      expect(Math.abs(median(r) - median(e))).toBeLessThan(3);
    });
  }, 60_000);

  test("limit_data 1000 on a 5000-byte answer: exactly 1000 bytes, then a FIN, on both", async () => {
    await using source = await sourceServer(5000);
    const at = await both("limit", source.port, [{ type: "limit_data", attributes: { bytes: 1000 } }]);
    const [r, e] = await Promise.all([observe(at.real), observe(at.embedded)]);
    expect([r.bytes, r.end]).toEqual([1000, "fin"]);
    expect([e.bytes, e.end]).toEqual([r.bytes, r.end]);
  });

  test("reset_peer (timeout 0): the client sees a reset, on both", async () => {
    await using echo = await echoServer();
    const at = await both("reset", echo.port, [{ type: "reset_peer", attributes: { timeout: 0 } }]);
    const [r, e] = await Promise.all([observe(at.real, "ping"), observe(at.embedded, "ping")]);
    expect([r.bytes, r.end]).toEqual([0, "reset"]);
    expect([e.bytes, e.end]).toEqual([r.bytes, r.end]);
  });

  test("timeout 300 ms: nothing arrives, then the connection closes at about 300 ms (never before), on both", async () => {
    await using echo = await echoServer();
    const at = await both("timeout", echo.port, [{ type: "timeout", attributes: { timeout: 300 } }]);
    const [r, e] = await Promise.all([observe(at.real, "ping"), observe(at.embedded, "ping")]);
    expect(r.bytes).toBe(0);
    expect([e.bytes, e.end]).toEqual([r.bytes, r.end]);
    for (const x of [r, e]) expect(x.endedAt).toBeGreaterThanOrEqual(300);
    expect(Math.abs(r.endedAt - e.endedAt)).toBeLessThan(60);
  });

  test("slow_close 300 ms: every byte, then the close held back 300 ms, on both", async () => {
    await using source = await sourceServer(2000);
    const at = await both("slowclose", source.port, [{ type: "slow_close", attributes: { delay: 300 } }]);
    const [r, e] = await Promise.all([observe(at.real), observe(at.embedded)]);
    expect([r.bytes, r.end]).toEqual([2000, "fin"]);
    expect([e.bytes, e.end]).toEqual([r.bytes, r.end]);
    for (const x of [r, e]) expect(x.endedAt).toBeGreaterThanOrEqual(300);
    expect(Math.abs(r.endedAt - e.endedAt)).toBeLessThan(60);
  });

  test("bandwidth 200 KB/s on 100 KB: every byte, in about 0.5 s on both (within 15% of each other)", async () => {
    await using source = await sourceServer(100_000);
    const at = await both("bandwidth", source.port, [{ type: "bandwidth", attributes: { rate: 200 } }]);
    const [r, e] = await Promise.all([observe(at.real), observe(at.embedded)]);
    expect([r.bytes, e.bytes]).toEqual([100_000, 100_000]);
    expect(Math.abs(r.endedAt - e.endedAt) / r.endedAt).toBeLessThan(0.15);
  });

  // The PASS is the quick form's latency claims on nine Node.js processes and the real server: on
  // this 2-core VM a hypervisor stealing CPU failed it once in CI (exit 1, 2026-12-03) where a quiet
  // machine passes with room (TTFT p95 upper bound 496–581 ms against 750 ms, three runs). So it is
  // measured again when the machine was busy, as the other timing tests are; a FAIL on a quiet
  // machine fails the test at once, and the failure prints the verdict lines.
  test("a whole run with the url backend on the real server: PASS, and nothing of it left there", async (ctx) => {
    await onQuietMachine(
      ctx,
      async () => {
        const dir = await mkdtemp(join(tmpdir(), "aire-real-toxiproxy-"));
        try {
          const before = Object.keys((await (await fetch(`${real!.url}/proxies`)).json()) as object);
          const result = await runCli(["run", "scenarios/provider-latency.yaml", "--quick", "--out", dir, "--set", "target.reference.toxiproxy.backend=url", "--set", `target.reference.toxiproxy.url=${real!.url}`], { timeoutMs: 90_000 });
          expect(result.stderr).toBe("");
          expect(result.code, verdictLines(result.stdout)).toBe(0);
          // The latency toxic was applied on the real server and slowed the primary: the gateway failed over.
          const summary = JSON.parse(await readFile(join(dir, (await readdir(dir))[0]!, "summary.json"), "utf8"));
          expect(summary.phases[1].providers.secondary).toBeGreaterThan(summary.phases[1].requests * 0.8);
          const after = Object.keys((await (await fetch(`${real!.url}/proxies`)).json()) as object);
          expect(after).toEqual(before);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
      { attempts: 2 },
    );
  }, 200_000);
});
