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
