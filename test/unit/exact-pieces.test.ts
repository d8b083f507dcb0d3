/** Which traffic makes the reference stack's pods build their tokenizer at start. */
import { expect, test } from "vitest";
import { needsExactPieces, trafficSchema } from "../../harness/traffic/schema.js";

const traffic = (mix: unknown[]) => trafficSchema.parse({ arrival: { type: "constant", rate: "5/s" }, mix });

test.each([
  ["plain chat", [{ name: "chat" }], false],
  ["rag", [{ name: "rag", kind: "rag" }], false],
  ["canary: false", [{ name: "chat", quality: { canary: false } }], false],
  ["canary: 0", [{ name: "chat", quality: { canary: 0 } }], false],
  ["canary: true", [{ name: "chat", quality: { canary: true } }], true],
  ["canary on 10%", [{ name: "chat" }, { name: "checked", quality: { canary: 0.1 } }], true],
  ["a JSON-schema answer", [{ name: "json", quality: { jsonSchema: { type: "object", properties: { a: { type: "string" } } } } }], true],
  ["agent sessions (tool calls)", [{ name: "agent", kind: "agent" }], true],
])("%s: %s", (_name, mix, expected) => {
  expect(needsExactPieces(traffic(mix))).toBe(expected);
});
