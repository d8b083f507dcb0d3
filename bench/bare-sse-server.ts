/**
 * The peer for the provider benchmark: the least a Node.js process must do to stream OpenAI-shaped
 * chunks — node:http, one timer per stream, pre-built chunk strings, no parsing, no model. Prints
 * `listening on URL` like `aire serve`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const chunk = (text: string) => `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp_aire","choices":[{"index":0,"delta":{"content":"${text}"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`;
const token = chunk(" word");

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://x");
    const tokens = Number(url.searchParams.get("tokens") ?? 100);
    const interval = 1000 / Number(url.searchParams.get("rate") ?? 50);
    res.writeHead(200, { "content-type": "text/event-stream" });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(token);
      if (++sent >= tokens) {
        clearInterval(timer);
        res.end("data: [DONE]\n\n");
      }
    }, interval);
    res.once("close", () => clearInterval(timer));
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
if (process.send) process.once("disconnect", () => process.exit(0));
