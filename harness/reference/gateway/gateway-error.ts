/** The one way a gateway error becomes a response: OpenAI's error shape. @module */
import type { ServerResponse } from "node:http";
import { errorBody } from "../../base/wire/openai-wire.js";

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  toJson(): string {
    return JSON.stringify(errorBody(this.message, this.type, this.code, this.param));
  }

  /** Writes the error, unless a response has already started. */
  send(res: ServerResponse, headers: Record<string, string | number> = {}): void {
    if (res.headersSent) return;
    const text = JSON.stringify(errorBody(this.message, this.type, this.code, this.param));
    res.writeHead(this.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** The same error as an SSE frame, for a stream that already sent tokens. */
  toSseFrame(): string {
    return `data: ${JSON.stringify(errorBody(this.message, this.type, this.code, this.param))}\n\n`;
  }
}
