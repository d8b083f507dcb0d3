/**
 * One attempt against one provider: send, then hold the stream until its first content token
 * (so a failure before it can fall over transparently), under a time-to-first-token timer.
 * @module
 */
import type { Dispatcher, Pool } from "undici";
import { chunkContent, SseParser } from "../sse/parser.js";

export type AttemptOutcome =
  | { kind: "stream"; buffered: Buffer[]; rest: AsyncIterator<Buffer>; headers: Record<string, string> }
  | { kind: "complete"; status: number; body: Buffer; headers: Record<string, string> }
  | { kind: "failed"; reason: "ttft_timeout" | "connect" | "upstream_status" | "stream_broken" | "aborted"; status?: number; body?: Buffer; message: string };

export class TtftTimeout extends Error {}

export async function attempt(pool: Pool, path: string, payload: string, stream: boolean, ttftTimeoutMs: number | undefined, signal: AbortSignal): Promise<AttemptOutcome & { abort: () => void }> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const onOuterAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onOuterAbort, { once: true });
  const timer = ttftTimeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new TtftTimeout()), ttftTimeoutMs);
  const done = <T extends AttemptOutcome>(outcome: T) => {
    clearTimeout(timer);
    signal.removeEventListener("abort", onOuterAbort);
    return { ...outcome, abort };
  };
  const failure = (err: unknown) =>
    done(
      controller.signal.reason instanceof TtftTimeout
        ? { kind: "failed", reason: "ttft_timeout", message: `no first token within ${ttftTimeoutMs} ms` }
        : signal.aborted
          ? { kind: "failed", reason: "aborted", message: "request aborted" }
          : { kind: "failed", reason: "connect", message: (err as Error).message || String(err) },
    );

  let response: Dispatcher.ResponseData;
  try {
    response = await pool.request({ path, method: "POST", headers: { "content-type": "application/json" }, body: payload, signal: controller.signal });
  } catch (err) {
    return failure(err);
  }
  const headers = pickHeaders(response.headers);
  // A non-stream answer's first token is its whole body: the timer covers only the wait for headers.
  if (!stream || response.statusCode !== 200) clearTimeout(timer);
  try {
    if (response.statusCode !== 200 || !stream) {
      const body = Buffer.from(await response.body.arrayBuffer());
      return response.statusCode === 200
        ? done({ kind: "complete", status: 200, body, headers })
        : done({ kind: "failed", reason: "upstream_status", status: response.statusCode, body, message: `upstream answered ${response.statusCode}` });
    }
    const iterator = (response.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const parser = new SseParser();
    const buffered: Buffer[] = [];
    for (;;) {
      const next = await iterator.next();
      if (next.done) return done({ kind: "failed", reason: "stream_broken", message: "upstream stream ended before its first token" });
      buffered.push(next.value);
      for (const event of parser.push(next.value)) {
        if (event.data === "[DONE]") return done({ kind: "stream", buffered, rest: iterator, headers });
        let chunk: unknown;
        try {
          chunk = JSON.parse(event.data);
        } catch {
          continue;
        }
        if ((chunk as { error?: unknown }).error) return done({ kind: "failed", reason: "stream_broken", message: "upstream sent an error event before its first token" });
        if (chunkContent(chunk) !== "") return done({ kind: "stream", buffered, rest: iterator, headers });
      }
    }
  } catch (err) {
    response.body.destroy();
    return failure(err);
  }
}

function pickHeaders(headers: Dispatcher.ResponseData["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["content-type", "retry-after", "retry-after-ms", "x-request-id"]) {
    const v = headers[name];
    if (typeof v === "string") out[name] = v;
  }
  return out;
}
