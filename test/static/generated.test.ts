import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { singleTokenWords } from "../../harness/reference/providers/single-token-words.js";
import { computeSingleTokenWords, singleTokenWordsModule } from "../../harness/reference/providers/words.js";
import { ROOT } from "../helpers/cli.js";

test("the synthetic models' vocabulary is what words.ts computes from faker and the tokenizer (npm run generate)", () => {
  const computed = computeSingleTokenWords();
  expect(readFileSync(join(ROOT, "harness/reference/providers/single-token-words.ts"), "utf8")).toBe(singleTokenWordsModule(computed));
  expect(singleTokenWords).toEqual(computed);
  expect(computed.length).toBeGreaterThan(500);
  for (const word of singleTokenWords) expect([encode(word).length, encode(` ${word}`).length], word).toEqual([1, 1]);
});

test("the tokenizer built from the cached JSON rank table encodes, counts and decodes as gpt-tokenizer's own module", async () => {
  const ours = await import("../../harness/base/wire/o200k.js");
  const theirs = await import("gpt-tokenizer/encoding/o200k_base");
  const texts = ["hello world", "Ünïcödé 🤖 текст 中文 عربى", '{"a": [1, 2.5, "x"], "b": null}', " spaces   and\ttabs\n\n", "reply with exactly: 3f9a0c7e11d2", singleTokenWords.join(" ")];
  for (const text of texts) {
    expect(ours.encode(text), text).toEqual(theirs.encode(text));
    expect(ours.countTokens(text)).toBe(theirs.countTokens(text));
    expect(ours.decode(ours.encode(text))).toBe(text);
  }
});
