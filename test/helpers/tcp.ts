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

/** A server that sends `bytes` bytes to each connection and then ends it. */
export async function sourceServer(bytes: number): Promise<{ port: number } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    s.end(Buffer.alloc(bytes, 0x61));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, [Symbol.asyncDispose]: async () => { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); } };
}

/** Connects, optionally writes, and records what arrives and how the connection ends. */
export function observe(address: string, write?: string, timeoutMs = 8000) {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const started = performance.now();
  const pieces: { at: number; size: number }[] = [];
  return new Promise<{ bytes: number; pieces: typeof pieces; end: "fin" | "reset" | "timeout"; endedAt: number }>((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (end: "fin" | "reset" | "timeout") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: pieces.reduce((s, p) => s + p.size, 0), pieces, end, endedAt: performance.now() - started });
    };
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    socket.on("connect", () => write !== undefined && socket.write(write));
    socket.on("data", (d) => pieces.push({ at: performance.now() - started, size: d.length }));
    socket.on("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNRESET" ? "reset" : "fin"));
    socket.on("end", () => done("fin"));
  });
}

/** Writes "ping" on one connection `n` times, each after the last echo; the ms from each write to its echo. */
export async function pingPong(address: string, n: number): Promise<number[]> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const socket = connect({ host, port });
  await once(socket, "connect");
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const sent = performance.now();
      socket.write("ping");
      let got = 0;
      while (got < 4) got += ((await once(socket, "data")) as [Buffer])[0].length;
      times.push(performance.now() - sent);
    }
  } finally {
    socket.destroy();
  }
  return times;
}
