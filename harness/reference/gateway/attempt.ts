/**
 * One attempt against one provider. A streamed answer is held until its first content token, so
 * that a failure before it can fall over transparently; timers watch the time to that token (TTFT)
 * and the silence between chunks (idle). After the first token, `rest` yields the remaining chunks
 * under the same idle timer and throws a `StreamFailure` when the stream breaks.
 * @module
 */
import { chunkContent, SseParser } from "../../base/sse/parser.js";
import { Abort, type Cancellation } from "./abort.js";
import type { Upstream, UpstreamResponse } from "./upstream.js";

export type FailureReason = "connect" | "upstream_status" | "ttft_timeout" | "idle_timeout" | "stream_broken" | "aborted";

export type AttemptOutcome =
  | {
      kind: "stream";
      headers: UpstreamResponse["headers"];
      buffered: Buffer[];
      rest: AsyncGenerator<Buffer, void, undefined>;
      /** Lets go of the upstream stream unless it has ended (idempotent). */
      cancel: () => void;
      firstByteMs: number;
      firstTokenMs: number;
    }
  | { kind: "complete"; headers: UpstreamResponse["headers"]; body: Buffer; firstByteMs: number }
  | { kind: "failed"; reason: FailureReason; status?: number; headers?: UpstreamResponse["headers"]; body?: Buffer; message: string; firstByteMs?: number };

export type Failed = Extract<AttemptOutcome, { kind: "failed" }>;

/** Thrown by `rest` when a stream that already sent tokens breaks. */
export class StreamFailure extends Error {
  constructor(
    readonly reason: "idle_timeout" | "stream_broken" | "aborted",
    message: string,
  ) {
    super(message);
  }
}

class Timeout {
  constructor(readonly reason: "ttft_timeout" | "idle_timeout") {}
}

export interface AttemptTimeouts {
  ttftMs: number | undefined;
  idleMs: number | undefined;
}

export async function attempt(upstream: Upstream, provider: string, payload: string, stream: boolean, timeouts: AttemptTimeouts, signal: Cancellation): Promise<AttemptOutcome> {
  const started = performance.now();
  if (signal.aborted) return { kind: "failed", reason: "aborted", message: "request aborted" };
  // A streamed attempt under TTFT/idle timers needs its own signal; any other uses the request's.
  const watch = stream && (timeouts.ttftMs !== undefined || timeouts.idleMs !== undefined);
  const controller = watch ? new Abort() : undefined;
  const onOuterAbort = () => controller!.abort(signal.reason);
  if (controller) signal.addEventListener("abort", onOuterAbort, { once: true });
  const ttftTimer = controller && timeouts.ttftMs !== undefined ? setTimeout(() => controller.abort(new Timeout("ttft_timeout")), timeouts.ttftMs) : undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const finish = () => {
    if (!controller) return;
    clearTimeout(ttftTimer);
    clearTimeout(idleTimer);
    signal.removeEventListener("abort", onOuterAbort);
  };
  const reasonOf = (err: unknown): { reason: FailureReason; message: string } => {
    const why = controller?.signal.reason;
    if (why instanceof Timeout) {
      return why.reason === "ttft_timeout"
        ? { reason: "ttft_timeout", message: `no first token within ${timeouts.ttftMs} ms` }
        : { reason: "idle_timeout", message: `upstream silent for ${timeouts.idleMs} ms` };
    }
    if (signal.aborted) return { reason: "aborted", message: "request aborted" };
    return { reason: "connect", message: (err as Error)?.message || String(err) };
  };

  let response: UpstreamResponse;
  try {
    response = await upstream.send(provider, payload, controller?.signal ?? signal);
  } catch (err) {
    finish();
    return { kind: "failed", ...reasonOf(err) };
  }
  const firstByteMs = performance.now() - started;
  if (controller && timeouts.idleMs !== undefined) idleTimer = setTimeout(() => controller.abort(new Timeout("idle_timeout")), timeouts.idleMs);
  try {
    if (response.status !== 200 || !stream) {
      // Read in one piece; a streamed request's error answer is still under its TTFT timer.
      const body = await response.collect();
      finish();
      return response.status === 200
        ? { kind: "complete", headers: response.headers, body, firstByteMs }
        : { kind: "failed", reason: "upstream_status", status: response.status, headers: response.headers, body, message: `upstream answered ${response.status}`, firstByteMs };
    }
    const iterator = response.body[Symbol.asyncIterator]();
    const parser = new SseParser();
    const buffered: Buffer[] = [];
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        finish();
        return { kind: "failed", reason: "stream_broken", message: "upstream stream ended before its first token", firstByteMs };
      }
      idleTimer?.refresh();
      buffered.push(next.value);
      for (const event of parser.push(next.value)) {
        let first = event.data === "[DONE]";
        if (!first) {
          let chunk: unknown;
          try {
            chunk = JSON.parse(event.data);
          } catch {
            continue;
          }
          if ((chunk as { error?: unknown }).error) {
            finish();
            response.discard();
            return { kind: "failed", reason: "stream_broken", message: "upstream sent an error event before its first token", firstByteMs };
          }
          first = startsAnswer(chunk);
        }
        if (first) {
          clearTimeout(ttftTimer);
          let closed = false;
          const close = (complete: boolean) => {
            if (closed) return;
            closed = true;
            finish();
            if (!complete) {
              controller?.abort();
              response.discard();
            }
          };
          return { kind: "stream", headers: response.headers, buffered, rest: rest(iterator, idleTimer, close, reasonOf), cancel: () => close(false), firstByteMs, firstTokenMs: performance.now() - started };
        }
      }
    }
  } catch (err) {
    finish();
    response.discard();
    return { kind: "failed", ...reasonOf(err), firstByteMs };
  }
}

/** A chunk that carries the answer's first token: content, reasoning, a tool call, or the end itself. */
function startsAnswer(chunk: unknown): boolean {
  if (chunkContent(chunk) !== "") return true;
  const choice = (chunk as { choices?: { delta?: { tool_calls?: unknown }; finish_reason?: unknown }[] } | null)?.choices?.[0];
  return Array.isArray(choice?.delta?.tool_calls) || (choice?.finish_reason !== undefined && choice.finish_reason !== null);
}

async function* rest(
  iterator: AsyncIterator<Buffer>,
  idleTimer: NodeJS.Timeout | undefined,
  close: (complete: boolean) => void,
  reasonOf: (err: unknown) => { reason: FailureReason; message: string },
): AsyncGenerator<Buffer, void, undefined> {
  let complete = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await iterator.next();
      } catch (err) {
        const { reason, message } = reasonOf(err);
        throw new StreamFailure(reason === "idle_timeout" || reason === "aborted" ? reason : "stream_broken", reason === "connect" ? `upstream stream failed: ${message}` : message);
      }
      if (next.done) break;
      idleTimer?.refresh();
      yield next.value;
    }
    complete = true;
  } finally {
    // Stopped early (the client left, or the consumer gave up): drop the upstream stream too.
    close(complete);
  }
}
