/**
 * `npm run bench` (proxy part): the embedded Toxiproxy's added latency (no toxics, p50/p99 of a
 * 64-byte ping-pong) and its throughput (MB/s of one stream), side by side with a direct
 * connection to the same server.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Toxiproxy } from "toxiproxy-node-client";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function server(handler: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    handler(s);
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return { port: (srv.address() as AddressInfo).port, close: async () => { for (const s of sockets) s.destroy(); await new Promise((r) => srv.close(r)); } };
}

async function pingPong(port: number, rounds: number): Promise<{ p50: number; p99: number }> {
  const socket = connect({ host: "127.0.0.1", port, noDelay: true });
  await once(socket, "connect");
  const payload = Buffer.alloc(64, 1);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    socket.write(payload);
    let got = 0;
    while (got < payload.length) got += ((await once(socket, "data")) as [Buffer])[0].length;
    times.push(performance.now() - started);
  }
  socket.destroy();
  const sorted = times.slice(rounds / 10).sort((a, b) => a - b); // the first 10% warm up
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

async function throughput(port: number): Promise<number> {
  const socket = connect({ host: "127.0.0.1", port });
  let bytes = 0;
  const started = performance.now();
  socket.on("data", (d: Buffer) => (bytes += d.length));
  await once(socket, "close");
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

export async function benchProxy(): Promise<void> {
  const echo = await server((s) => s.pipe(s));
  const total = 1024 * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024, 7);
  const source = await server((s) => {
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += block.length;
        if (!s.write(block)) return void s.once("drain", pump);
      }
      s.end();
    };
    pump();
  });
  const child = spawn(process.execPath, ["dist/bundle/aire.js", "serve", "toxiproxy", "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const client = new Toxiproxy(/listening on (\S+)/.exec(line)![1]!);
  const port = async (name: string, upstream: number) => Number((await client.createProxy({ name, listen: "127.0.0.1:0", upstream: `127.0.0.1:${upstream}` })).listen.split(":").at(-1));
  const echoProxy = await port("echo", echo.port);
  const sourceProxy = await port("source", source.port);

  const direct = await pingPong(echo.port, 5000);
  const proxied = await pingPong(echoProxy, 5000);
  const directMBs = await throughput(source.port);
  const proxiedMBs = await throughput(sourceProxy);
  child.kill("SIGTERM");
  await once(child, "exit");
  await echo.close();
  await source.close();

  console.log(`\nembedded Toxiproxy, no toxics (64-byte ping-pong × 5000; one 1 GiB stream)`);
  console.log(`  round trip    direct p50 ${direct.p50.toFixed(3)} ms  p99 ${direct.p99.toFixed(3)} ms   proxied p50 ${proxied.p50.toFixed(3)} ms  p99 ${proxied.p99.toFixed(3)} ms`);
  console.log(`  added by the proxy: p50 ${(proxied.p50 - direct.p50).toFixed(3)} ms, p99 ${(proxied.p99 - direct.p99).toFixed(3)} ms (target p50 < 0.2 ms)`);
  console.log(`  throughput    direct ${Math.round(directMBs)} MB/s   proxied ${Math.round(proxiedMBs)} MB/s   ratio ${(proxiedMBs / directMBs).toFixed(2)} (target ≥ 1000 MB/s)`);
}
