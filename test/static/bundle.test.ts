/**
 * The bundle (scripts/bundle.mjs → dist/bundle/) that `aire` and every child process run. Its entry
 * must load only the signal listener before the program: what it imports statically is read and
 * run before the first line of the entry, and an interrupt in that window would kill the process
 * without its exit code (harness/cli.ts). `npm test` bundles first (scripts/prepare.mjs).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../helpers/cli.js";

/** The files `file` imports statically, and theirs, with their sizes. */
function staticGraph(file: string, seen = new Map<string, number>()): Map<string, number> {
  const text = readFileSync(file, "utf8");
  seen.set(file, text.length);
  for (const [, spec] of text.matchAll(/^import\s+(?:[^"';]+?\s+from\s+)?"(\.[^"]+)";/gm)) {
    const next = join(dirname(file), spec!);
    if (!seen.has(next)) staticGraph(next, seen);
  }
  return seen;
}

test("the bundle's entry loads the signal listener and little else before the program", () => {
  const entry = join(ROOT, "dist", "bundle", "aire.js");
  const graph = staticGraph(entry);
  const bytes = [...graph.values()].reduce((a, b) => a + b, 0);
  expect(readFileSync(entry, "utf8")).toMatch(/await import\("\.\/chunks\/program-[A-Z0-9]+\.js"\)/);
  expect([...graph.keys()].some((f) => readFileSync(f, "utf8").includes("early-signals"))).toBe(true);
  // 2.6 KB today (the listener and the error vocabulary it prints with); the program is 100 times that.
  expect(bytes, [...graph.keys()].join(", ")).toBeLessThan(20_000);
});
