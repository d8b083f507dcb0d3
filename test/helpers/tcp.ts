/** A TCP echo server and a timed round trip, for proxy tests. */
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export async function echoServer(): Promise<{ port: number } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.pipe(s);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    [Symbol.asyncDispose]: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Connects, writes `payload`, resolves with the echo and the elapsed ms (or the error code). */
export async function roundTrip(address: string, payload = "ping"): Promise<{ data: string; ms: number; error?: string }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let data = "";
    const done = (error?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, ms: performance.now() - started, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => done("TIMEOUT"), 5000);
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (d) => {
      data += d.toString();
      if (data.length >= payload.length) done();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.on("close", () => done(data.length >= payload.length ? undefined : "CLOSED"));
  });
}
