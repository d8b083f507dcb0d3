/**
 * What one attempt's answer said, and when its tokens came: the SSE data payloads of a stream one
 * by one as they arrive, or a JSON body whole. The attempt (request.ts) owns one, turns a problem
 * it reports into a failed sample, and reads its figures into the sample at the end.
 * @module
 */
import type { ErrorClass } from "../slo/expression.js";
import { chunkContent } from "../base/sse/parser.js";

/** Why the answer cannot be used: the error class and the message of the failed sample. */
export type AnswerProblem = [ErrorClass, string];

export class AnswerReading {
  /** performance.now() of the first and the latest piece of output (content or tool-call arguments). */
  firstToken: number | undefined;
  lastToken: number | undefined;
  /** The longest gap between two pieces, and every gap (streams only). */
  maxStall = 0;
  gaps: number[] | undefined;
  /** Pieces of output seen (words of a JSON answer that reports no usage). */
  chunks = 0;
  /** The output, kept only when a quality check or the reply needs it. */
  text = "";
  usageTokens: number | undefined;
  usagePrompt: number | undefined;
  model: string | undefined;
  toolCall: { id: string; name: string; arguments: string } | undefined;
  finishReason: string | undefined;
  /** `[DONE]` was seen. */
  done = false;

  constructor(private readonly keepText: boolean) {}

  /** Takes one SSE data payload; returns the problem that ends the attempt, if it is one. */
  event(data: string): AnswerProblem | undefined {
    if (this.done) return undefined; // openai-node ignores events after [DONE]
    if (data === "[DONE]") {
      this.done = true;
      return undefined;
    }
    let chunk: { error?: { message?: string }; model?: unknown; choices?: { finish_reason?: string | null; delta?: { tool_calls?: unknown } }[] | null; usage?: { completion_tokens?: number; prompt_tokens?: number } | null };
    try {
      chunk = JSON.parse(data);
    } catch {
      return ["malformed", "a stream chunk is not valid JSON"];
    }
    if (chunk.error) return ["truncated", `error event in stream: ${chunk.error.message ?? "unknown"}`];
    let content = chunkContent(chunk);
    const calls = Array.isArray(chunk.choices) ? chunk.choices[0]?.delta?.tool_calls : undefined;
    if (Array.isArray(calls) && calls.length > 0) {
      // A tool call streams as a first delta with its id and name, then pieces of its arguments:
      // the pieces are the answer's output, timed like content.
      const call = calls[0] as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
      const toolCall = (this.toolCall ??= { id: "", name: "", arguments: "" });
      if (typeof call.id === "string") toolCall.id = call.id;
      if (typeof call.function?.name === "string") toolCall.name = call.function.name;
      if (typeof call.function?.arguments === "string") {
        toolCall.arguments += call.function.arguments;
        content = call.function.arguments;
      }
    }
    if (content !== "") {
      const now = performance.now();
      this.chunks++;
      if (this.keepText) this.text += content;
      if (this.firstToken === undefined) this.firstToken = now;
      else {
        const gap = now - this.lastToken!;
        (this.gaps ??= []).push(gap);
        if (gap > this.maxStall) this.maxStall = gap;
      }
      this.lastToken = now;
    }
    const reason = Array.isArray(chunk.choices) ? chunk.choices[0]?.finish_reason : undefined;
    if (reason) this.finishReason = reason;
    if (typeof chunk.usage?.completion_tokens === "number") this.usageTokens = chunk.usage.completion_tokens;
    if (typeof chunk.usage?.prompt_tokens === "number") this.usagePrompt = chunk.usage.prompt_tokens;
    if (this.model === undefined && typeof chunk.model === "string") this.model = chunk.model;
    return undefined;
  }

  /** Takes a whole JSON answer (not a stream): its output counts as arriving now, all at once. */
  json(bodyText: string): AnswerProblem | undefined {
    let body: { model?: unknown; choices?: { message?: { content?: string | null; tool_calls?: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }[] }; finish_reason?: string }[]; usage?: { completion_tokens?: number; prompt_tokens?: number } };
    try {
      body = JSON.parse(bodyText);
    } catch {
      return ["malformed", "response body is not valid JSON"];
    }
    const choice = body.choices?.[0];
    const call = choice?.message?.tool_calls?.[0];
    if (call && typeof call.function?.arguments === "string") {
      this.toolCall = { id: typeof call.id === "string" ? call.id : "", name: typeof call.function.name === "string" ? call.function.name : "", arguments: call.function.arguments };
    }
    const content = this.toolCall ? this.toolCall.arguments : choice?.message?.content;
    if (typeof content !== "string") return ["malformed", "response has no choices[0].message.content"];
    this.firstToken = this.lastToken = performance.now();
    this.finishReason = choice!.finish_reason;
    this.usageTokens = body.usage?.completion_tokens;
    this.usagePrompt = body.usage?.prompt_tokens;
    if (typeof body.model === "string") this.model = body.model;
    this.text = content;
    // Counted only when the answer reports no usage.
    if (this.usageTokens === undefined) this.chunks = countWords(content);
    return undefined;
  }
}

function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}
