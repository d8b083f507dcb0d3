/**
 * `npm run bench` (gateway part): what the reference gateway adds in front of a provider, side by
 * side with a direct call, a bare Node.js forwarder (bare-proxy.ts: the floor for a Node.js
 * gateway) and nginx (`proxy_pass`, buffering off, upstream keep-alive) in front of the same
 * upstream. The upstream answers at once, so the columns differ only by the hop.
 *
 * - Added latency: sequential requests (one at a time), p50/p99, non-stream and a 5-token stream.
 * - Max throughput: closed loop with 64 connections for 5 s each, req/s (non-stream).
 *
 * The gateway runs its `resilient` profile (every policy on: breaker, budget, concurrency limit,
 * timers, metrics). nginx comes from Debian's `nginx-light` package; when it is missing the bench
 * installs it with apt-get if it can, and otherwise prints the nginx column as skipped, with why.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { startProcess } from "./process.js";

const NON_STREAM = JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Say something short." }], max_tokens: 8 });
const STREAM = JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Say something short." }], max_tokens: 8, stream: true });

async function sequential(url: string, body: string, n: number): Promise<{ p50: number; p99: number }> {
  const pool = new Pool(url, { connections: 1, pipelining: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
      times.push(performance.now() - started);
    }
  } finally {
    await pool.close();
  }
  const sorted = times.slice(Math.floor(n / 10)).sort((a, b) => a - b); // the first 10% warm up
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

async function throughput(url: string, connections: number, seconds: number): Promise<number> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  let done = 0;
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body: NON_STREAM });
      await res.body.arrayBuffer();
      if (res.statusCode === 200) done++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  if (failed > 0) console.log(`  (${url}: ${failed} non-200 answers not counted)`);
  return done / elapsed;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function findNginx(): { bin: string } | { missing: string } {
  const candidates = ["/usr/sbin/nginx", "/usr/bin/nginx"];
  const found = () => candidates.find((c) => existsSync(c));
  if (found()) return { bin: found()! };
  if (process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
    console.log("nginx not found: installing Debian's nginx-light with apt-get (once per machine)…");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = spawnSync("apt-get", ["install", "-y", "-q", "nginx-light"], { stdio: "inherit", env });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update", "-q"], { stdio: "inherit", env });
      r = spawnSync("apt-get", ["install", "-y", "-q", "nginx-light"], { stdio: "inherit", env });
    }
    if (found()) return { bin: found()! };
  }
  return { missing: "nginx is not installed (apt-get install nginx-light) and could not be installed from here" };
}

async function startNginx(bin: string, upstreamPort: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "aire-bench-nginx-"));
  const port = await freePort();
  const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream provider { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://provider;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
  await writeFile(join(dir, "nginx.conf"), conf);
  const child: ChildProcess = spawn(bin, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${url}/v1/chat/completions`, { method: "POST", body: NON_STREAM }).then((r) => r.arrayBuffer());
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function benchGateway(): Promise<void> {
  const upstream = await startProcess(["dist/bench/static-upstream.js"]);
  const dir = await mkdtemp(join(tmpdir(), "aire-bench-gateway-"));
  const config = join(dir, "gateway.json");
  await writeFile(config, JSON.stringify({ providers: [{ name: "upstream", url: upstream.url, model: "m" }], routes: { chat: ["upstream"] }, profile: "resilient" }));
  const gateway = await startProcess(["dist/bundle/aire.js", "serve", "gateway", "--config", config]);
  const bare = await startProcess(["dist/bench/bare-proxy.js", upstream.url]);
  const nginxBin = findNginx();
  const nginx = "bin" in nginxBin ? await startNginx(nginxBin.bin, Number(new URL(upstream.url).port)) : undefined;
  try {
    const targets: [string, string][] = [["direct", upstream.url], ["aire gateway", gateway.url], ["bare Node proxy", bare.url], ...(nginx ? ([["nginx", nginx.url]] as [string, string][]) : [])];
    const rows: { name: string; ns: { p50: number; p99: number }; st: { p50: number; p99: number }; rps: number }[] = [];
    // Warm every hop and the load generator itself (JIT, connection pools) before measuring any.
    for (const [, url] of targets) {
      await sequential(url, NON_STREAM, 1000);
      await sequential(url, STREAM, 1000);
      await throughput(url, 64, 1);
    }
    for (const [name, url] of targets) {
      const ns = await sequential(url, NON_STREAM, 3000);
      const st = await sequential(url, STREAM, 3000);
      const rps = await throughput(url, 64, 5);
      rows.push({ name, ns, st, rps });
    }
    const direct = rows[0]!;
    const gw = rows[1]!;
    const floor = rows[2]!;
    const ng = rows[3];
    const f = (x: number) => x.toFixed(3);
    console.log(`\nreference gateway (resilient profile) vs direct vs nginx, same upstream (sequential × 3000, then 64 connections × 5 s)`);
    for (const r of rows) {
      console.log(`  ${r.name.padEnd(15)} non-stream p50 ${f(r.ns.p50)} ms p99 ${f(r.ns.p99)} ms   stream p50 ${f(r.st.p50)} ms p99 ${f(r.st.p99)} ms   ${Math.round(r.rps)} req/s`);
    }
    console.log(`  throughput ratio gateway/bare Node proxy ${(gw.rps / floor.rps).toFixed(2)} (what the policies cost over the least a Node.js forwarder does)`);
    console.log(`  added by the gateway: non-stream p50 +${f(gw.ns.p50 - direct.ns.p50)} ms, p99 +${f(gw.ns.p99 - direct.ns.p99)} ms; stream p50 +${f(gw.st.p50 - direct.st.p50)} ms, p99 +${f(gw.st.p99 - direct.st.p99)} ms (target p50 ≤ 0.5 ms)`);
    if (ng) {
      console.log(`  added by nginx:       non-stream p50 +${f(ng.ns.p50 - direct.ns.p50)} ms, p99 +${f(ng.ns.p99 - direct.ns.p99)} ms; stream p50 +${f(ng.st.p50 - direct.st.p50)} ms, p99 +${f(ng.st.p99 - direct.st.p99)} ms`);
      console.log(`  throughput ratio gateway/nginx ${(gw.rps / ng.rps).toFixed(2)} (target ≥ 0.5); bare Node proxy/nginx ${(floor.rps / ng.rps).toFixed(2)}`);
    } else console.log(`  nginx column skipped: ${(nginxBin as { missing: string }).missing}`);
  } finally {
    await nginx?.stop();
    await gateway.stop();
    await bare.stop();
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
