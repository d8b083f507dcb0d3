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

  /** The first chunk of a tool call: its id, name and no arguments yet. */
  toolCallStart(id: string, name: string): string {
    return this.#frame(`[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`);
  }

  /** A piece of the tool call's arguments. */
  toolCallArguments(piece: string): string {
    return this.#frame(`[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(piece)}}}]},"logprobs":null,"finish_reason":null}],"usage":null}`);
  }

  finish(reason: "stop" | "length" | "tool_calls"): string {
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
export function completionBody(id: string, created: number, model: string, content: string, finishReason: "stop" | "length" | "tool_calls", u: Usage, toolCall?: ToolCall) {
  const message = toolCall
    ? { role: "assistant", content: null, refusal: null, annotations: [], tool_calls: [{ id: toolCall.id, type: "function", function: { name: toolCall.name, arguments: content } }] }
    : { role: "assistant", content, refusal: null, annotations: [] };
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage: {
      ...u,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_aire",
  };
}

/** A function call the model makes: its id and name (the arguments are the answer's tokens). */
export interface ToolCall {
  id: string;
  name: string;
}

/** The subset of a chat-completions request every component reads. */
export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
}

const roles = ["system", "developer", "user", "assistant", "tool", "function"];
const responseFormats = ["text", "json_object", "json_schema"];
const toolChoices = ["none", "auto", "required"];
/** Sampling parameters and their ranges, as OpenAI checks them (a string, NaN or Infinity is a 400). */
const numberRanges: [string, number, number][] = [["temperature", 0, 2], ["top_p", 0, 1], ["presence_penalty", -2, 2], ["frequency_penalty", -2, 2]];
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : typeof v === "string" ? "a string" : typeof v === "boolean" ? "a boolean" : `a ${typeof v}`);

/** Validates a request body the way OpenAI does (400 with the param named); returns the request or the message and param. */
export function parseChatRequest(body: unknown): { ok: true; value: ChatRequest } | { ok: false; message: string; param: string | null } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, message: "The request body must be a JSON object.", param: null };
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model === "") return { ok: false, message: "you must provide a model parameter", param: "model" };
  if (!Array.isArray(b.messages) || b.messages.length === 0) return { ok: false, message: "'messages' must be a non-empty array", param: "messages" };
  for (const [i, m] of b.messages.entries()) {
    if (typeof m !== "object" || m === null || typeof (m as { role?: unknown }).role !== "string") {
      return { ok: false, message: `Invalid 'messages[${i}]': expected an object with a 'role'.`, param: `messages[${i}]` };
    }
    const { role, content } = m as { role: string; content?: unknown };
    if (!roles.includes(role)) return { ok: false, message: `Invalid value: '${role}'. Supported values are: ${roles.map((r) => `'${r}'`).join(", ")}.`, param: `messages[${i}].role` };
    if (content !== undefined && content !== null && typeof content !== "string" && !Array.isArray(content)) {
      return { ok: false, message: `Invalid type for 'messages[${i}].content': expected one of a string or an array of objects, but got an object instead.`, param: `messages[${i}].content` };
    }
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean") return { ok: false, message: "Invalid type for 'stream': expected a boolean.", param: "stream" };
  const max = b.max_completion_tokens ?? b.max_tokens;
  if (max !== undefined && max !== null && !(Number.isInteger(max) && (max as number) > 0)) {
    return { ok: false, message: "Invalid 'max_tokens': expected a positive integer.", param: b.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens" };
  }
  for (const [param, lo, hi] of numberRanges) {
    const v = b[param];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number") return { ok: false, message: `Invalid type for '${param}': expected a decimal, but got ${typeName(v)} instead.`, param };
    if (!Number.isFinite(v) || v < lo || v > hi) return { ok: false, message: `Invalid '${param}': decimal ${v < lo ? "below minimum" : "above maximum"} value. Expected a value ${v < lo ? `>= ${lo}` : `<= ${hi}`}, but got ${v} instead.`, param };
  }
  if (b.n !== undefined && b.n !== null) {
    if (!Number.isInteger(b.n)) return { ok: false, message: `Invalid type for 'n': expected an integer, but got ${typeName(b.n)} instead.`, param: "n" };
    if ((b.n as number) < 1 || (b.n as number) > 128) return { ok: false, message: `Invalid 'n': integer ${(b.n as number) < 1 ? "below minimum value. Expected a value >= 1" : "above maximum value. Expected a value <= 128"}, but got ${b.n} instead.`, param: "n" };
  }
  if (b.stream_options !== undefined && b.stream_options !== null && (typeof b.stream_options !== "object" || Array.isArray(b.stream_options))) {
    return { ok: false, message: `Invalid type for 'stream_options': expected an object, but got ${typeName(b.stream_options)} instead.`, param: "stream_options" };
  }
  if (b.response_format !== undefined && b.response_format !== null) {
    const type = (b.response_format as { type?: unknown }).type;
    if (typeof b.response_format !== "object" || !responseFormats.includes(type as string)) {
      return { ok: false, message: `Invalid value: '${typeof type === "string" ? type : typeName(b.response_format)}'. Supported values are: ${responseFormats.map((f) => `'${f}'`).join(", ")}.`, param: "response_format.type" };
    }
  }
  if (b.tool_choice !== undefined && b.tool_choice !== null) {
    const c = b.tool_choice as { type?: unknown; function?: { name?: unknown } };
    const named = typeof c === "object" && c.type === "function" && typeof c.function?.name === "string";
    if (!(typeof c === "string" ? toolChoices.includes(c) : named)) {
      return { ok: false, message: `Invalid value for 'tool_choice': expected one of ${toolChoices.map((x) => `'${x}'`).join(", ")} or {"type": "function", "function": {"name": …}}.`, param: "tool_choice" };
    }
  }
  if (b.tools !== undefined && b.tools !== null) {
    if (!Array.isArray(b.tools)) return { ok: false, message: "Invalid type for 'tools': expected an array.", param: "tools" };
    for (const [i, t] of (b.tools as unknown[]).entries()) {
      const fn = (t as { type?: unknown; function?: { name?: unknown } } | null)?.function;
      if ((t as { type?: unknown } | null)?.type !== "function" || typeof fn?.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(fn.name)) {
        return { ok: false, message: `Invalid 'tools[${i}]': expected { type: 'function', function: { name, parameters } }.`, param: `tools[${i}]` };
      }
    }
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
