/**
 * `extends:` — scenarios built on shared blocks. A team's scenarios name the files they start from
 * (one target, one SLO set, one price table):
 *
 * ```yaml
 * extends: [shared/reference-target.yaml, shared/chat-slos.yaml]
 * ```
 *
 * A shared file holds any of a scenario's top-level keys and may extend others itself. The files
 * are merged in the order named, then the scenario's own keys on top, then `quick.set` and `--set`:
 * maps merge key by key at any depth; a list or a value replaces the one before it whole (a
 * scenario that lists `hypotheses` has exactly those). A path is relative to the file that names
 * it. Every node keeps the file it was written in, so a mistake in a shared file is reported at its
 * own `file:line:col`, and `aire plan` says where each value came from.
 * @module
 */
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { isMap, isScalar, isSeq, Pair, visit, YAMLMap, type Document, type LineCounter, type Node, type Scalar } from "yaml";
import type { ScenarioIssue } from "./positions.js";

/** A file a node was written in. */
export interface Source {
  file: string;
  lines: LineCounter;
}

/** The file of every node that came from a shared file (the scenario's own nodes are not listed). */
export type Sources = Map<Node, Source>;

/** The loader's YAML pass (bounds, syntax, duplicate keys), applied to each shared file as to the scenario. */
export type ParseYaml = (text: string, file: string) => { ok: true; doc: Document; lines: LineCounter } | { ok: false; issues: ScenarioIssue[] };

/** How far `extends` may go: files named through one another, and files in all. */
export const extendsLimits = { depth: 8, files: 32 } as const;

export function positionOf(node: Node | null | undefined, source: Source): string {
  const pos = source.lines.linePos(node?.range?.[0] ?? 0);
  return `${source.file}:${pos.line}:${pos.col}`;
}

/**
 * Replaces the document's contents with its shared files merged under its own keys, and removes its
 * `extends` key: the result is the whole scenario (what `scenario.resolved.yaml` records). Returns
 * the problems found, each at its place in its own file; the document is left as it was if any.
 */
export function applyExtends(doc: Document, source: Source, sources: Sources, parse: ParseYaml, read: (file: string) => string): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const context: Context = { sources, parse, read, issues, files: 0, schema: doc.schema };
  const merged = resolve(doc, source, [realOrSelf(source.file)], context);
  if (issues.length === 0 && merged !== doc.contents) doc.contents = merged as Document["contents"];
  return issues;
}

interface Context {
  sources: Sources;
  parse: ParseYaml;
  read: (file: string) => string;
  issues: ScenarioIssue[];
  files: number;
  /** The scenario document's schema: maps made by the merge take it, so that --set can create keys under them. */
  schema: Document["schema"];
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** The document's contents with its bases merged under them (or as they are, without `extends`). */
function resolve(doc: Document, source: Source, chain: readonly string[], context: Context): Node | null {
  const contents = doc.contents;
  if (!isMap(contents)) return contents;
  const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === "extends");
  if (!pair) return contents;
  const entries = namesIn(pair.value as Node | null, pair.key as Node, source, context);
  let base: Node | null | undefined;
  for (const entry of entries) {
    const loaded = load(entry, source, chain, context);
    if (loaded !== undefined) base = base === undefined ? loaded : merge(base, loaded, context);
  }
  if (context.issues.length > 0) return contents;
  const own = new YAMLMap<unknown, unknown>(context.schema);
  own.items = contents.items.filter((p) => p !== pair);
  own.range = contents.range;
  context.sources.set(own, source);
  return base === undefined ? own : merge(base, own, context);
}

/** The file names of an `extends` value: one name, or a list of them. */
function namesIn(value: Node | null, key: Node, source: Source, context: Context): Scalar[] {
  const isName = (n: unknown): n is Scalar => isScalar(n) && typeof n.value === "string" && n.value.trim() !== "";
  if (isName(value)) return [value];
  if (isSeq(value) && value.items.length > 0 && value.items.every(isName)) return value.items as Scalar[];
  context.issues.push({ where: positionOf(value ?? key, source), path: "extends", message: "extends takes a file name or a list of them, e.g. extends: [shared/target.yaml, shared/slos.yaml]" });
  return [];
}

/** One shared file, resolved (its own `extends` merged), or undefined when it has problems (recorded). */
function load(entry: Scalar, from: Source, chain: readonly string[], context: Context): Node | null | undefined {
  const name = String(entry.value);
  const file = isAbsolute(name) ? name : normalize(join(dirname(from.file), name));
  const at = positionOf(entry, from);
  const fail = (message: string, where = at, path = "extends"): undefined => void context.issues.push({ where, path, message });
  if (chain.length > extendsLimits.depth) return fail(`extends goes more than ${extendsLimits.depth} files deep`);
  if (++context.files > extendsLimits.files) return fail(`extends names more than ${extendsLimits.files} files in all`);
  let text: string;
  try {
    text = context.read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === "ENOENT" ? `no such file: ${file} (a path in extends is relative to the file that names it)` : `cannot read ${file} (${code ?? String(err)})`);
  }
  const real = realOrSelf(file);
  if (chain.includes(real)) return fail(`${file} is already being extended: extends goes round in a circle`);
  const parsed = context.parse(text, file);
  if (!parsed.ok) {
    context.issues.push(...parsed.issues);
    return undefined;
  }
  const source: Source = { file, lines: parsed.lines };
  let alias: Node | undefined;
  visit(parsed.doc, {
    Node(_, node) {
      context.sources.set(node, source);
    },
    Alias(_, node) {
      alias ??= node;
    },
  });
  // An alias names an anchor of its own document, which the merge may have replaced.
  if (alias) return fail("a file used through extends cannot use aliases (*name): write the value out, or share it as a file of its own", positionOf(alias, source), "(yaml)");
  const contents = parsed.doc.contents;
  if (contents !== null && !isMap(contents)) return fail(`a file used through extends holds scenario keys (a map such as target: or hypotheses:), not a ${isSeq(contents) ? "list" : "value"}`, positionOf(contents, source), "(root)");
  return resolve(parsed.doc, source, [...chain, real], context);
}

/** `over` on top of `base`: maps key by key, at any depth; anything else replaces whole. */
function merge(base: Node | null, over: Node | null, context: Context): Node | null {
  if (!isMap(base) || !isMap(over)) return over;
  const out = new YAMLMap<unknown, unknown>(context.schema);
  out.range = over.range;
  const source = context.sources.get(over);
  if (source) context.sources.set(out, source);
  const keyOf = (p: Pair) => (isScalar(p.key) ? String(p.key.value) : undefined);
  // Keys are unique in each map (the loader refused duplicates): one lookup each, not a scan.
  const overByKey = new Map<string, Pair>();
  for (const o of over.items) {
    const k = keyOf(o as Pair);
    if (k !== undefined && !overByKey.has(k)) overByKey.set(k, o as Pair);
  }
  const used = new Set<Pair>();
  for (const b of base.items) {
    const k = keyOf(b as Pair);
    const o = k === undefined ? undefined : overByKey.get(k);
    if (!o) out.items.push(b);
    else {
      used.add(o);
      out.items.push(new Pair(o.key, merge(b.value as Node | null, o.value as Node | null, context)));
    }
  }
  for (const o of over.items) if (!used.has(o as Pair)) out.items.push(o);
  return out;
}
