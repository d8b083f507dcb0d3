/** Maps a data path to a line and column of the YAML source. @module */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export interface ScenarioIssue {
  /** `file:line:col`, or `--set …` for a value that came from the command line. */
  where: string;
  path: string;
  message: string;
}

export interface Position {
  line: number;
  col: number;
}

/**
 * The node at `path` (or its key, with `atKey`); when the path does not exist, the deepest part of
 * it that does.
 */
export function locateNode(doc: Document, path: readonly PropertyKey[], atKey = false): Node | undefined {
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
  return found;
}

/**
 * The node a value at `path` of the parsed scenario was read from: the node at `path`, or the
 * scalar above it that the schema turned into an object (an assertion's text becomes its measure,
 * operator and threshold); undefined when the document does not have it (a default).
 */
export function sourceNodeAt(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (isScalar(node)) return node;
    if (isMap(node)) node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment))?.value;
    else if (isSeq(node) && typeof segment === "number") node = node.items[segment];
    else return undefined;
    if (node === undefined || node === null) return undefined;
  }
  return (node as Node | null) ?? undefined;
}

/** The position of the value at `path` (or of its key, with `atKey`), or of the deepest part of it that exists. */
export function locate(doc: Document, lines: LineCounter, path: readonly PropertyKey[], atKey = false): Position {
  const pos = lines.linePos(locateNode(doc, path, atKey)?.range?.[0] ?? 0);
  return { line: pos.line, col: pos.col };
}

/** Whether `where` names a place in `file` (`file:line:col`), or the file itself. */
export function isIn(where: string, file: string): boolean {
  return where === file || (where.startsWith(`${file}:`) && /^:\d+:\d+$/.test(where.slice(file.length)));
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
