/** Reading what a run wrote, for the end-to-end tests. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";

/** The one results directory a run wrote under `parent`. */
export async function onlyRunDir(parent: string): Promise<string> {
  const entries = await readdir(parent);
  expect(entries).toHaveLength(1);
  return join(parent, entries[0]!);
}

/** A results directory's events.jsonl, one object a line. */
export const readEvents = async (dir: string) =>
  (await readFile(join(dir, "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { type: string; t: number; pid?: number; fault?: string });
