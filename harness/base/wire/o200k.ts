/**
 * The o200k_base tokenizer (gpt-tokenizer, the GPT-4o family's encoding), built from a JSON copy of
 * its rank table when one is cached. The package holds the table as a 2.4 MB JavaScript module that
 * each process compiles; JSON parses in about half the time, and a stack starts a dozen processes
 * that need the tokenizer at once. The copy is written on first use to `node_modules/.cache/aire/`,
 * named by gpt-tokenizer's version and renamed into place so that no reader sees half of it; where
 * it cannot be written or read, the package's own module is used. Either way the same table goes to
 * the same `GptEncoding.getEncodingApi("o200k_base", …)` call the package's module makes. It is
 * built on first use or by `loadTokenizer()`, never by importing this module: a process that never
 * needs exact tokens (a pod serving plain answers, the gateway without token limits) skips it.
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { GptEncoding } from "gpt-tokenizer/GptEncoding";

type Ranks = (string | number[])[];
const require = createRequire(import.meta.url);

function ranks(): Ranks {
  let cache: string | undefined;
  try {
    const pkg = require.resolve("gpt-tokenizer/package.json");
    const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version: string };
    cache = join(dirname(dirname(pkg)), ".cache", "aire", `o200k_base-${version}.json`);
    const cached = JSON.parse(readFileSync(cache, "utf8")) as unknown;
    if (Array.isArray(cached) && cached.length > 100_000) return cached as Ranks;
  } catch {
    // No copy yet (or no package.json to name it by): the package's module below.
  }
  const table = (require("gpt-tokenizer/cjs/bpeRanks/o200k_base") as { default: Ranks }).default;
  if (cache) {
    const partial = `${cache}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(cache), { recursive: true });
      sweepPartials(dirname(cache));
      writeFileSync(partial, JSON.stringify(table));
      renameSync(partial, cache);
    } catch {
      // A read-only install: every process compiles the module, as without the copy.
      rmSync(partial, { force: true });
    }
  }
  return table;
}

/** Copies half-written by a process that was killed (its PID gone) are removed by the next writer. */
function sweepPartials(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/\.(\d+)\.tmp$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(dir, name), { force: true });
    }
  }
}

let api: GptEncoding | undefined;

/**
 * Builds the tokenizer now (about 0.4 s of CPU: the table read and gpt-tokenizer's maps from it),
 * not on its first use. A process that counts every request (a provider's front) calls it while
 * it starts, so that no request pays it; a pod calls it only when its traffic needs exact pieces.
 */
export function loadTokenizer(): GptEncoding {
  return (api ??= GptEncoding.getEncodingApi("o200k_base", () => ranks()));
}

/** Whether the tokenizer has been built in this process. */
export function tokenizerLoaded(): boolean {
  return api !== undefined;
}

export const encode = (text: string): number[] => loadTokenizer().encode(text);
export const decode = (tokens: Iterable<number>): string => loadTokenizer().decode(tokens);
export const countTokens = (text: string): number => loadTokenizer().countTokens(text);
