/**
 * Prompt token counting with a real BPE tokenizer: gpt-tokenizer's o200k_base (the GPT-4o family's
 * encoding), plus OpenAI's per-message chat overhead (3 tokens a message, 3 for the reply priming).
 * @module
 */
import { countTokens, loadTokenizer } from "./o200k.js";
import { textOf } from "./text.js";

/** Tokens a chat request's messages occupy in the context window. */
export function countChatTokens(messages: readonly { role: string; content: unknown }[]): number {
  let total = 3;
  for (const m of messages) total += 3 + countTokens(m.role) + countTokens(textOf(m.content));
  return total;
}

export { countTokens, loadTokenizer };
