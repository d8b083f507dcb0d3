/**
 * The upstream for the streaming side of the traffic benchmark: answers every chat completion with
 * a complete, valid stream of `max_tokens` content chunks (finish_reason, usage, [DONE]), written
 * `batch` chunks at a time every `interval` ms, from pre-built strings — so that the client, not
 * the server, is what the benchmark measures. Prints `listening on URL` like `aire serve`.
 *   node stream-upstream.js <batch> <intervalMs>
 */
import { createServer } from "node:http";
import { serveUpstream } from "./process.js";

const batch = Number(process.argv[2] ?? 10);
const interval = Number(process.argv[3] ?? 10);
const head = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp_aire","choices":';
const token = `data: ${head}[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`;
const writes = token.repeat(batch);
const end = (tokens: number) =>
  `data: ${head}[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}],"usage":null}\n\n` +
  `data: ${head}[],"usage":{"prompt_tokens":16,"completion_tokens":${tokens},"total_tokens":${16 + tokens}}}\n\n` +
  "data: [DONE]\n\n";

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => (body += d));
  req.on("end", () => {
    const tokens = Number(/"max_tokens":(\d+)/.exec(body)?.[1] ?? 100);
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`data: ${head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`);
    let sent = 0;
    const timer = setInterval(() => {
      const n = Math.min(batch, tokens - sent);
      res.write(n === batch ? writes : token.repeat(n));
      sent += n;
      if (sent >= tokens) {
        clearInterval(timer);
        res.end(end(tokens));
      }
    }, interval);
    res.once("close", () => clearInterval(timer));
  });
});
serveUpstream(server);
