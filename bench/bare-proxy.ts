/**
 * A peer for the gateway benchmark: the least a Node.js process must do to forward a chat request
 * — node:http in, one undici Pool out, the answer copied back — with no policy at all. It is the
 * floor for any gateway written on Node.js on this machine. Prints `listening on URL`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

const pool = new Pool(process.argv[2]!, { connections: 512 });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    pool
      .request({ path: req.url ?? "/", method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) })
      .then(async (up) => {
        res.writeHead(up.statusCode, { "content-type": String(up.headers["content-type"] ?? "application/json") });
        for await (const chunk of up.body) res.write(chunk);
        res.end();
      })
      .catch(() => res.destroy());
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void pool.close().then(() => process.exit(0)));
});
if (process.send) process.once("disconnect", () => process.exit(0));
