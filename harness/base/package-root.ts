/**
 * Where aire's package is on disk: the nearest folder above this module that holds aire's
 * package.json. The same answer from the TypeScript source (tests), the compiled `dist/` tree and
 * the bundle in `dist/bundle/` (whose chunks sit at another depth), so files that ship beside the
 * code (package.json, the k6 runtime, the fault modules' comments) are found from any of them.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HarnessError } from "./errors.js";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "aire") return (root = dir);
    if (dirname(dir) === dir) throw new HarnessError("STACK_START_FAILED", { message: `cannot find aire's package.json above ${here}` });
  }
}

/** The command line's entry for child processes: the bundle (one file and a few chunks, a third of the start-up of the compiled tree). */
export function cliEntry(): string {
  return join(packageRoot(), "dist", "bundle", "aire.js");
}
