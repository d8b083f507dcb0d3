/**
 * The OpenAI chat-completions wire format, byte for byte: chunks, bodies and error shapes.
 * Shared by the synthetic providers and the reference gateway.
 * @module
 */

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, type: string, code: string | null = null, param: string | null = null): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** Builds the chunks of one stream; every chunk shares the id, `created` and model. */
export class ChunkWriter {
  readonly #head: string;

  constructor(id: string, created: number, model: string) {
    this.#head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_aire","choices":`;
  }

  role(): string {
    return this.#frame(`[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`);
  }

  content(text: string): string {
    return this.#frame(`[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}],"usage":null}`);
  }

  finish(reason: "stop" | "length"): string {
    return this.#frame(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":"${reason}"}],"usage":null}`);
  }

  usage(u: Usage): string {
    return this.#frame(`[],"usage":${JSON.stringify(u)}}`);
  }

  #frame(rest: string): string {
    return `data: ${this.#head}${rest}\n\n`;
  }
}

export const DONE_FRAME = "data: [DONE]\n\n";

/** The whole non-stream `chat.completion` body. */
export function completionBody(id: string, created: number, model: string, content: string, finishReason: "stop" | "length", u: Usage) {
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null, annotations: [] }, logprobs: null, finish_reason: finishReason }],
    usage: {
      ...u,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_aire",
  };
}

/** The subset of a chat-completions request every component reads. */
export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
}

/** Validates a request body the way OpenAI does; returns the request or an error message and param. */
export function parseChatRequest(body: unknown): { ok: true; value: ChatRequest } | { ok: false; message: string; param: string | null } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, message: "The request body must be a JSON object.", param: null };
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model === "") return { ok: false, message: "you must provide a model parameter", param: "model" };
  if (!Array.isArray(b.messages) || b.messages.length === 0) return { ok: false, message: "'messages' must be a non-empty array", param: "messages" };
  for (const [i, m] of b.messages.entries()) {
    if (typeof m !== "object" || m === null || typeof (m as { role?: unknown }).role !== "string") {
      return { ok: false, message: `Invalid 'messages[${i}]': expected an object with a 'role'.`, param: `messages[${i}]` };
    }
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean") return { ok: false, message: "Invalid type for 'stream': expected a boolean.", param: "stream" };
  const max = b.max_completion_tokens ?? b.max_tokens;
  if (max !== undefined && max !== null && !(Number.isInteger(max) && (max as number) > 0)) {
    return { ok: false, message: "Invalid 'max_tokens': expected a positive integer.", param: b.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens" };
  }
  const streamOptions = b.stream_options as { include_usage?: unknown } | undefined;
  return {
    ok: true,
    value: {
      model: b.model,
      messages: b.messages as ChatRequest["messages"],
      stream: b.stream === true,
      includeUsage: streamOptions?.include_usage === true,
      maxTokens: (max as number | null | undefined) ?? undefined,
    },
  };
}
