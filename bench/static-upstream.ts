/**
 * The upstream for the gateway benchmark: an OpenAI-shaped chat completions endpoint that answers
 * at once — a fixed completion, or a fixed 5-token stream when the body asks for `"stream":true`.
 * Its cost is the same for every column, so the columns differ only by what sits in front of it.
 * Prints `listening on URL` like `aire serve`.
 */
import { createServer } from "node:http";
import { completion } from "./completion.js";
import { serveUpstream } from "./process.js";

const chunk = (delta: string, finish: string | null) => `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}],"usage":null}\n\n`;
const stream = [chunk('{"role":"assistant","content":""}', "null"), ...[" a", " fixed", " streamed", " answer", "."].map((t) => chunk(`{"content":"${t}"}`, "null")), chunk("{}", '"stop"'), "data: [DONE]\n\n"].join("");

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => (body += d));
  req.on("end", () => {
    if (body.includes('"stream":true')) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(stream);
    } else {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(completion) });
      res.end(completion);
    }
  });
});
serveUpstream(server);
