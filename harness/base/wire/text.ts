/** A chat message's content as text (a string, the text parts of an array, else its JSON). @module */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : "")).join("");
  return content === null || content === undefined ? "" : JSON.stringify(content);
}
