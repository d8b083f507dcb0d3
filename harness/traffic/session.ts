/**
 * Conversation shapes beyond one chat message:
 * - `rag`: a system instruction and a user message carrying retrieved documents, then the
 *   question: long context, short answer;
 * - `agent`: a session of several turns, each request carrying the whole history; some turns
 *   offer tools and ask for a call (`tool_choice: required`), and the call's result goes back in
 *   a follow-up request, as an agent loop does.
 * @module
 */
import { faker } from "@faker-js/faker/locale/en";
import type { Random } from "../base/random/prng.js";
import type { PromptBook } from "./prompts.js";
import type { Reply } from "../metrics/sample.js";

/** The tools an agent session offers: the shapes agents commonly call. */
export const AGENT_TOOLS = [
  {
    type: "function",
    function: {
      name: "search_documents",
      description: "Search the knowledge base.",
      parameters: { type: "object", properties: { query: { type: "string" }, top_k: { type: "integer", minimum: 1, maximum: 10 } }, required: ["query", "top_k"] },
    },
  },
  {
    type: "function",
    function: {
      name: "create_ticket",
      description: "Open a support ticket.",
      parameters: { type: "object", properties: { title: { type: "string" }, priority: { enum: ["low", "medium", "high"] } }, required: ["title", "priority"] },
    },
  },
  {
    type: "function",
    function: {
      name: "get_order_status",
      description: "Look up an order.",
      parameters: { type: "object", properties: { order_id: { type: "integer", minimum: 1000, maximum: 99999 } }, required: ["order_id"] },
    },
  },
] as const;

/** The JSON Schema of each tool's arguments, by name. */
export const toolParameters: ReadonlyMap<string, object> = new Map(AGENT_TOOLS.map((t) => [t.function.name, t.function.parameters]));

export type Message =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** A RAG prompt of about `tokens` tokens: documents of ~400 tokens each, then a question. */
export function ragMessages(book: PromptBook, tokens: number, random: Random): Message[] {
  const question = `Question: ${book.prompt(16, random)}?`;
  const docs: string[] = [];
  let left = Math.max(8, tokens - 40);
  while (left > 0) {
    const size = Math.min(left, 400);
    docs.push(`[${docs.length + 1}] ${book.prompt(size + 4, random)}`);
    left -= size;
  }
  return [
    { role: "system", content: "Answer the question using only the documents below, and cite them by number." },
    { role: "user", content: `Documents:\n${docs.join("\n")}\n\n${question}` },
  ];
}

/** What the traffic engine learned from an answer, to carry into the next request of a session. */
/** One agent session: its history, and what its next request is. */
export class AgentSession {
  readonly id: number;
  readonly random: Random;
  readonly turns: number;
  readonly #history: Message[] = [{ role: "system", content: "You are a support agent. Use the tools when they help." }];
  readonly #toolShare: number;
  turn = 0;
  /** The next request answers a tool call (the tool's result goes back to the model). */
  #pendingToolResult: { id: string; name: string } | undefined;

  constructor(id: number, random: Random, turns: number, toolShare: number) {
    this.id = id;
    this.random = random;
    this.turns = turns;
    this.#toolShare = toolShare;
  }

  /** The messages and tool options of the next request; `prompt` is the user's next message (unused for a tool result). */
  next(prompt: () => string): { messages: Message[]; tools?: typeof AGENT_TOOLS; toolChoice?: "required" | "auto"; toolTurn: boolean; step: "user" | "tool-result" } {
    if (this.#pendingToolResult) {
      const call = this.#pendingToolResult;
      this.#pendingToolResult = undefined;
      faker.seed(Math.floor(this.random() * 2 ** 31));
      this.#history.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify({ ok: true, result: faker.lorem.sentence() }) });
      return { messages: [...this.#history], tools: AGENT_TOOLS, toolChoice: "auto", toolTurn: false, step: "tool-result" };
    }
    const toolTurn = this.random() < this.#toolShare;
    this.#history.push({ role: "user", content: prompt() });
    return toolTurn ? { messages: [...this.#history], tools: AGENT_TOOLS, toolChoice: "required", toolTurn, step: "user" } : { messages: [...this.#history], toolTurn, step: "user" };
  }

  /** Takes the answer in; returns whether the session has another request to send. */
  answered(reply: Reply): boolean {
    if (reply.toolCall) {
      this.#history.push({ role: "assistant", content: null, tool_calls: [{ id: reply.toolCall.id, type: "function", function: { name: reply.toolCall.name, arguments: reply.toolCall.arguments } }] });
      this.#pendingToolResult = { id: reply.toolCall.id, name: reply.toolCall.name };
      return true;
    }
    this.#history.push({ role: "assistant", content: reply.content });
    this.turn++;
    return this.turn < this.turns;
  }
}
