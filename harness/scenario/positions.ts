/** Maps a data path to a line and column of the YAML source. @module */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export interface Position {
  line: number;
  col: number;
}

/**
 * The position of the value at `path` (or of its key, with `atKey`); when the path does not exist,
 * the position of the deepest part of it that does.
 */
export function locate(doc: Document, lines: LineCounter, path: readonly PropertyKey[], atKey = false): Position {
  let node: unknown = doc.contents;
  let found: Node | undefined = doc.contents ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      if (atKey && i === path.length - 1 && isScalar(pair.key)) {
        found = pair.key;
        break;
      }
      node = pair.value;
      if (isScalar(pair.value) || isMap(pair.value) || isSeq(pair.value)) found = pair.value;
      else if (isScalar(pair.key)) found = pair.key;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      if (!node) break;
      found = node as Node;
    } else break;
  }
  const offset = found?.range?.[0] ?? 0;
  const pos = lines.linePos(offset);
  return { line: pos.line, col: pos.col };
}

/** `phases[2].faults[0].latency` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : out ? `.${String(segment)}` : String(segment);
  return out || "(root)";
}

/** Parses `phases[1].duration` or `phases.1.duration` into path segments. */
export function parsePath(text: string): (string | number)[] {
  return text
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
