/**
 * An incremental Server-Sent Events parser: feed it bytes as they arrive, get `data` payloads out.
 * Handles frames split across reads, CRLF, comments and multi-line data.
 * @module
 */

export interface SseEvent {
  event: string | undefined;
  data: string;
}

export class SseParser {
  #buffer = "";
  readonly #decoder = new TextDecoder();

  /** Feeds a chunk; returns the complete events it finished. */
  push(chunk: Uint8Array): SseEvent[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    for (;;) {
      const end = frameEnd(this.#buffer);
      if (end === undefined) break;
      const frame = this.#buffer.slice(0, end.index);
      this.#buffer = this.#buffer.slice(end.index + end.length);
      const event = parseFrame(frame);
      if (event) events.push(event);
    }
    return events;
  }

  /** Bytes received but not yet a complete frame (a stream that ends here was cut mid-frame). */
  get pending(): string {
    return this.#buffer;
  }
}

function frameEnd(buffer: string): { index: number; length: number } | undefined {
  const lf = buffer.indexOf("\n\n");
  const crlf = buffer.indexOf("\r\n\r\n");
  if (lf < 0 && crlf < 0) return undefined;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  return { index: lf, length: 2 };
}

function parseFrame(frame: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const raw of frame.split(/\r?\n/)) {
    if (raw === "" || raw.startsWith(":")) continue;
    const colon = raw.indexOf(":");
    const field = colon < 0 ? raw : raw.slice(0, colon);
    let value = colon < 0 ? "" : raw.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
  }
  return data.length > 0 || event !== undefined ? { event, data: data.join("\n") } : undefined;
}

/** The text a chat-completion chunk adds (`delta.content` or `delta.reasoning_content`), or "". */
export function chunkContent(chunk: unknown): string {
  const choices = (chunk as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) return "";
  const delta = (choices[0] as { delta?: { content?: unknown; reasoning_content?: unknown } }).delta;
  const text = typeof delta?.content === "string" ? delta.content : "";
  return text || (typeof delta?.reasoning_content === "string" ? delta.reasoning_content : "");
}
