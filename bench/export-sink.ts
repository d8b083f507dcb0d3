/**
 * The receivers for the export benchmark, in their own process: a remote-write endpoint, an
 * OTLP/HTTP endpoint and Grafana's annotation API, each reading the whole body and answering as
 * the real one does (204, `{}`, `{"id":…}`), counting bytes. Prints `listening on URL`.
 */
import { createServer } from "node:http";
import { serveUpstream } from "./process.js";

let id = 0;
const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    if (req.url === "/api/v1/write") res.writeHead(204).end();
    else if (req.url === "/v1/metrics") res.writeHead(200, { "content-type": "application/json" }).end("{}");
    else if (req.url?.startsWith("/api/annotations")) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: ++id, message: "ok" }));
    else res.writeHead(404).end();
  });
});
serveUpstream(server);
