/**
 * Scenario loading: YAML (with node ranges) → `--set` overrides → one zod validation →
 * `Result<Scenario, ScenarioIssue[]>`. Every issue is reported at once, with its line and column.
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import type { z } from "zod";
import { HarnessError } from "../base/errors.js";
import { formatPath, isIn, locateNode, parsePath, sourceNodeAt, type ScenarioIssue } from "./positions.js";
import { applyExtends, positionOf, type ParseYaml, type Source, type Sources } from "./extends.js";
import { modulePattern } from "./module.js";
import { knownKeysAt } from "./schema-walk.js";
import { scenarioSchema, type Scenario } from "./schema.js";
import { closest } from "./suggest.js";
import { formatDuration } from "../base/units.js";

/** What the loader reads at the most: a scenario is a few KB, and these bound what a hostile file can cost. */
export const inputLimits = {
  /** Bytes of one file (the largest shipped scenario is under 4 KB). */
  bytes: 1024 * 1024,
  /** Flow collections (`[`, `{`) inside one another. */
  flowDepth: 64,
  /** Alias expansions (`*name`) while the document becomes data: a billion-laughs file stops here. */
  aliases: 100,
} as const;

export type { ScenarioIssue };

export interface LoadOptions {
  /** `path=value` overrides, applied to the document before validation. */
  set?: readonly string[];
  /** Multiplies every phase duration (the timeline), e.g. 0.2 for a quick CI pass. */
  timeScale?: number;
  /** Apply the scenario's own `quick:` block (its time scale and overrides) before `set` and `timeScale`. */
  quick?: boolean;
  /** A game day (`aire gameday`): faults may come by hand from the console, so a scenario without scheduled ones may still have fault windows. */
  faultsByHand?: boolean;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** The source with the overrides applied: what `scenario.resolved.yaml` records. */
  source: string;
  file: string;
  options: LoadOptions;
  /**
   * Where the value at a path came from: \`file:line:col\` of the file it was written in (the
   * scenario or a file it extends), the \`--set\` or \`quick.set\` entry that set it, or undefined
   * for a default of the schema.
   */
  origin(path: readonly (string | number)[]): string | undefined;
}

export type LoadResult = { ok: true; value: LoadedScenario } | { ok: false; issues: ScenarioIssue[] };

/** Reads and validates a scenario file. Never throws for bad content; throws only when the file cannot be read. */
export async function loadScenarioFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    const { size } = await stat(file);
    if (size > inputLimits.bytes) return { ok: false, issues: [tooLarge(file, size)] };
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, issues: [{ where: file, path: "(file)", message: code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(err)})` }] };
  }
  if (modulePattern.test(file)) return loadScenarioModule(file, options);
  return parseScenario(text, file, options);
}

/**
 * A scenario module (harness/scenario/module.ts): its object as YAML through the same loader. The
 * YAML's lines are nowhere the user wrote, so the module's own issues and values are named by the
 * module and the path alone.
 */
async function loadScenarioModule(file: string, options: LoadOptions): Promise<LoadResult> {
  const { scenarioModuleText } = await import("./module.js");
  const module = await scenarioModuleText(file);
  if (!module.ok) return { ok: false, issues: [module.issue] };
  const own = (where: string) => (isIn(where, file) ? file : where);
  const result = parseScenario(module.text, file, options);
  if (!result.ok) return { ok: false, issues: result.issues.map((i) => ({ ...i, where: own(i.where) })) };
  const origin = result.value.origin;
  return { ok: true, value: { ...result.value, origin: (path) => { const o = origin(path); return o === undefined ? undefined : own(o); } } };
}

/** Validates scenario text. `file` is only used in positions. */
export function parseScenario(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { ok: false, issues: sortIssues(parsed.issues) };
  const { doc, lines } = parsed;
  // Nodes from the files it extends know their own file; the scenario's own nodes are its.
  const main: Source = { file, lines };
  const sources: Sources = new Map();
  const extended = applyExtends(doc, main, sources, parseYaml, readShared);
  if (extended.length > 0) return { ok: false, issues: sortIssues(extended) };
  const sourceOf = (node: Node | null | undefined): Source => (node && sources.get(node)) || main;
  const whereIs = (node: Node | null | undefined) => positionOf(node, sourceOf(node));

  const issues: ScenarioIssue[] = [];
  let overrides: Override[] = (options.set ?? []).map((expr) => ({ expr, where: `--set ${expr}` }));
  if (options.quick) {
    // The scenario's quick form: its overrides first (the command line's win), its time scale unless one is given.
    const quick = quickForm(doc, whereIs);
    if (!quick) issues.push({ where: file, path: "quick", message: "--quick needs a quick: block in the scenario (timeScale and/or set)" });
    else {
      overrides = [...quick.set, ...overrides];
      options = { ...options, set: overrides.map((o) => o.expr), ...(options.timeScale === undefined && quick.timeScale !== undefined ? { timeScale: quick.timeScale } : {}) };
    }
  }
  const overridden = applyOverrides(doc, overrides, issues);
  if (options.timeScale !== undefined && !(options.timeScale > 0 && options.timeScale <= 100)) {
    issues.push({ where: "--time-scale", path: "(option)", message: `time scale must be a number above 0 and at most 100, got ${options.timeScale}` });
  }
  const data = toData(doc, lines, file);
  if (!data.ok) return { ok: false, issues: [data.issue] };
  const result = scenarioSchema.safeParse(data.value, { reportInput: true });
  if (!result.success) issues.push(...toIssues(result.error.issues, doc, lines, file, overridden, data.value, scenarioSchema, sources));
  if (issues.length > 0 || !result.success) return { ok: false, issues: sortIssues(issues) };

  const scenario = options.timeScale === undefined ? result.data : scaleTimeline(result.data, options.timeScale);
  const timeline = timelineIssues(scenario, options.faultsByHand === true);
  if (timeline.length > 0) return { ok: false, issues: sortIssues(toIssues(timeline, doc, lines, file, overridden, data.value, scenarioSchema, sources)) };
  const origin = (path: readonly (string | number)[]): string | undefined => {
    const overrider = overriddenAt(overridden, formatPath(path));
    if (overrider) return overrider;
    const node = sourceNodeAt(doc, path);
    return node ? whereIs(node) : undefined;
  };
  return { ok: true, value: { scenario, source: doc.toString(), file, options, origin } };
}

/** A file named by `extends`: a regular file within the size bound (never a device or a FIFO, which could block or never end). */
function readShared(file: string): string {
  const s = statSync(file);
  if (!s.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: "not a regular file" });
  if (s.size > inputLimits.bytes) throw Object.assign(new Error(`${file} is too large`), { code: `${(s.size / 1024 / 1024).toFixed(1)} MiB; at most ${inputLimits.bytes / 1024 / 1024} MiB` });
  return readFileSync(file, "utf8");
}

/**
 * The YAML pass of a scenario or of a file it extends: bounds first (before the parser sees the
 * text: its cost grows with size and nesting), then syntax and duplicate keys, each at its place.
 */
const parseYaml: ParseYaml = (text, file) => {
  const bytes = Buffer.byteLength(text);
  if (bytes > inputLimits.bytes) return { ok: false, issues: [tooLarge(file, bytes)] };
  const lines = new LineCounter();
  const tooDeep = flowDepthProblem(text, file);
  if (tooDeep) return { ok: false, issues: [tooDeep] };
  // Duplicate keys are found by one pass below: the parser's own check compares every pair (27 s for 55,000 keys).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const syntax = doc.errors.map((e): ScenarioIssue => ({ where: at(file, lines, e.pos[0]), path: "(yaml)", message: e.message.split("\n")[0]! }));
  if (syntax.length === 0) syntax.push(...duplicateKeys(doc, lines, file));
  return syntax.length > 0 ? { ok: false, issues: syntax } : { ok: true, doc, lines };
};

/** An override and where it came from: `--set …`, or a `quick.set` entry's place in the file. */
interface Override {
  expr: string;
  where: string;
}

function at(file: string, lines: LineCounter, offset: number): string {
  const pos = lines.linePos(offset);
  return `${file}:${pos.line}:${pos.col}`;
}

function tooLarge(file: string, bytes: number): ScenarioIssue {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return { where: `${file}:1:1`, path: "(file)", message: `the file is ${mib(bytes)}; a scenario file may be at most ${inputLimits.bytes / 1024 / 1024} MiB` };
}

/**
 * Where flow collections nest deeper than the bound, found by one scan that skips quoted text and
 * comments. The parser recurses on nesting: 10,000 brackets exhaust its memory.
 */
function flowDepthProblem(text: string, file: string): ScenarioIssue | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > inputLimits.flowDepth) {
        // The parser has not run yet, so its line counter is empty: count the lines before this one.
        const line = text.slice(0, i).split("\n").length;
        const col = i - text.lastIndexOf("\n", i - 1);
        return { where: `${file}:${line}:${col}`, path: "(yaml)", message: `collections nested more than ${inputLimits.flowDepth} levels deep` };
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth = Math.max(0, depth - 1);
    else if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      const end = text.indexOf(text[i]!, i + 1);
      if (end < 0) break;
      i = end;
    } else if (c === 0x23 /* # */ && (i === 0 || text.charCodeAt(i - 1) <= 0x20)) {
      const end = text.indexOf("\n", i);
      if (end < 0) break;
      i = end;
    }
  }
  return undefined;
}

/** Keys that a map holds twice, in one pass (a map of n keys costs n, not n²). */
function duplicateKeys(doc: Document, lines: LineCounter, file: string): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, offset);
        else out.push({ where: at(file, lines, offset), path: "(yaml)", message: `map keys must be unique: "${key}" is already at line ${lines.linePos(first).line}` });
      }
    },
  });
  return out;
}

/** The document as data, with alias expansion bounded (a YAML "billion laughs" stops here, at its first alias). */
function toData(doc: Document, lines: LineCounter, file: string): { ok: true; value: unknown } | { ok: false; issue: ScenarioIssue } {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: inputLimits.aliases }) };
  } catch (err) {
    let offset = 0;
    visit(doc, {
      Alias(_, alias) {
        offset = alias.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return { ok: false, issue: { where: at(file, lines, offset), path: "(yaml)", message: `aliases expand too far (${(err as Error).message.replace(/\.$/, "")}); aire expands at most ${inputLimits.aliases}` } };
  }
}

/** The scenario's `quick:` block, read from the document's nodes so that each `set` entry keeps its place. */
function quickForm(doc: Document, whereIs: (node: Node) => string): { set: Override[]; timeScale?: number } | undefined {
  const quick = doc.get("quick", true);
  if (!isMap(quick)) return undefined;
  const timeScale = quick.get("timeScale");
  const set = quick.get("set", true);
  const entries: Override[] = [];
  if (isSeq(set)) {
    set.items.forEach((item, i) => {
      if (isScalar(item) && typeof item.value === "string") entries.push({ expr: item.value, where: `${whereIs(item)} (quick.set[${i}]) ${item.value}` });
    });
  }
  return { set: entries, ...(typeof timeScale === "number" ? { timeScale } : {}) };
}

/** Loads a scenario or throws one `SCENARIO_INVALID` error listing every issue. */
export async function loadScenarioOrThrow(file: string, options: LoadOptions = {}): Promise<LoadedScenario> {
  const result = await loadScenarioFile(file, options);
  if (result.ok) return result.value;
  throw new HarnessError("SCENARIO_INVALID", {
    message: `${file}: ${result.issues.length} problem${result.issues.length === 1 ? "" : "s"}`,
    details: result.issues.map(formatIssue),
  });
}

export function formatIssue(issue: ScenarioIssue): string {
  return `${issue.where}  ${issue.path}  ${issue.message}`;
}

/** Phase durations scale; latencies, timeouts and SLO thresholds describe the system and do not. */
function scaleTimeline(scenario: Scenario, factor: number): Scenario {
  return { ...scenario, phases: scenario.phases.map((phase) => ({ ...phase, duration: Math.max(1, Math.round(phase.duration * factor)) })) };
}

/** Applies each override that can be applied; the others become issues named by their origin. */
function applyOverrides(doc: Document, overrides: readonly Override[], issues: ScenarioIssue[]): Map<string, string> {
  const overridden = new Map<string, string>();
  for (const { expr, where } of overrides) {
    const eq = expr.indexOf("=");
    const path = eq > 0 ? parsePath(expr.slice(0, eq)) : [];
    if (path.length === 0) {
      issues.push({ where, path: "(option)", message: "expected path=value, e.g. --set traffic.arrival.rate=50/s" });
      continue;
    }
    const text = formatPath(path);
    if (path[0] === "extends") {
      issues.push({ where, path: text, message: "extends is resolved before any override: name the shared files in the scenario" });
      continue;
    }
    const value = parseDocument(expr.slice(eq + 1), { prettyErrors: false });
    let problem = value.errors[0] ? `the value is not valid YAML (${value.errors[0].message.split("\n")[0]}); quote it to mean text` : undefined;
    visit(value, {
      Alias() {
        problem = "the value uses an alias (*name), which an override cannot refer to; quote it to mean text";
        return visit.BREAK;
      },
    });
    problem ??= pathProblem(doc, path);
    if (problem) {
      issues.push({ where, path: text, message: problem });
      continue;
    }
    doc.setIn(path, doc.createNode(value.toJS()));
    overridden.set(text, where);
  }
  return overridden;
}

/** Why `path` cannot be set in the document (a value in the way, a key into a list, an index past its end), or undefined. */
function pathProblem(doc: Document, path: readonly (string | number)[]): string | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    if (node === null || node === undefined) return typeof path[i] === "number" ? `${formatPath(path.slice(0, i))} does not exist, so it has no item [${path[i]}]` : undefined;
    const segment = path[i]!;
    const here = formatPath(path.slice(0, i));
    if (isMap(node)) node = node.get(segment, true);
    else if (isSeq(node)) {
      if (typeof segment !== "number") return `${here} is a list: name an item by its index, e.g. ${here}[0]`;
      if (segment > node.items.length) return `${here} has ${node.items.length} item${node.items.length === 1 ? "" : "s"}: [${segment}] is past its end`;
      node = node.items[segment];
    } else if (isAlias(node)) return `${here} is an alias (*${node.source}): set the anchored value instead`;
    else return `${here} is a value (${JSON.stringify(isScalar(node) ? node.value : node)}), not a map or a list: ${formatPath(path)} cannot be set`;
  }
  return undefined;
}

/**
 * Checks of the parsed timeline: an arrival spike must start before the (scaled) run ends; a
 * fault window needs a fault to fill it (in a game day, one injected by hand can).
 */
function timelineIssues(scenario: Scenario, faultsByHand: boolean): z.core.$ZodIssue[] {
  const total = scenario.phases.reduce((sum, phase) => sum + phase.duration, 0);
  const arrivals: [(string | number)[], Scenario["traffic"]["arrival"] | undefined][] = [
    [["traffic", "arrival"], scenario.traffic.arrival],
    ...scenario.traffic.tenants.map((tenant, i): [(string | number)[], Scenario["traffic"]["arrival"] | undefined] => [["traffic", "tenants", i, "arrival"], tenant.arrival]),
  ];
  const out: z.core.$ZodIssue[] = [];
  for (const [path, arrival] of arrivals) {
    if (arrival?.type !== "spike" || arrival.spike.at < total) continue;
    out.push({ code: "custom", path: [...path, "spike", "at"], message: `the spike starts at ${formatDuration(arrival.spike.at)}, after the run ends (${formatDuration(total)}): it would never be sent`, input: arrival.spike.at });
  }
  if (!faultsByHand && !scenario.phases.some((phase) => phase.faults.length > 0)) {
    scenario.hypotheses.forEach((h, i) => {
      if (h.window.kind !== "fault" && h.window.kind !== "after") return;
      const key = h.window.kind === "fault" ? "during" : "after";
      out.push({ code: "custom", path: ["hypotheses", i, key], message: `this scenario has no faults, so the window ${key}: fault is empty (in aire gameday, a fault injected by hand fills it)`, input: h.during });
    });
  }
  return out;
}

/** zod's issues as positioned, readable ones: `file:line:col  path  message`, with "did you mean" for keys and enum values. */
export function toIssues(zodIssues: readonly z.core.$ZodIssue[], doc: Document, lines: LineCounter, file: string, overridden: Map<string, string>, data: unknown, schema: z.ZodType = scenarioSchema, sources: Sources = new Map()): ScenarioIssue[] {
  const where = (path: readonly PropertyKey[], atKey = false): string => {
    const text = formatPath(path);
    const overrider = overriddenAt(overridden, text);
    if (overrider) return overrider;
    // A key an override created (--set x.y=1 makes the unknown key x): the override names it.
    if (atKey) for (const [prefix, origin] of overridden) if (prefix.startsWith(`${text}.`) || prefix.startsWith(`${text}[`)) return origin;
    const node = locateNode(doc, path, atKey);
    return positionOf(node, (node && sources.get(node)) || { file, lines });
  };
  const out: ScenarioIssue[] = [];
  for (const issue of zodIssues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, issue.path, data);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const guess = closest(key, known);
        const hint = guess ? `; did you mean "${guess}"?` : known.length ? ` (allowed here: ${known.join(", ")})` : "";
        out.push({ where: where(path, true), path: formatPath(path), message: `unknown key "${key}"${hint}` });
      }
      continue;
    }
    if (issue.code === "invalid_value" && typeof issue.input === "string") {
      const options = issue.values.map(String);
      const guess = closest(issue.input, options);
      out.push({
        where: where(issue.path),
        path: formatPath(issue.path),
        message: `"${issue.input}" is not allowed here${guess ? `; did you mean "${guess}"?` : ""} (one of ${options.join(", ")})`,
      });
      continue;
    }
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    const last = issue.path[issue.path.length - 1];
    out.push({
      where: where(issue.path, missing),
      path: formatPath(issue.path),
      message: missing && typeof last === "string" ? `missing required key "${last}"` : issue.message,
    });
  }
  return out;
}

/** The override that set `path` or a map or list above it, if any. */
function overriddenAt(overridden: Map<string, string>, path: string): string | undefined {
  for (const [prefix, origin] of overridden) if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) return origin;
  return undefined;
}

/** By file (in the order they first appear: a scenario's, then those it extends), then by line and column; origins that are not a place (`--set …`) first. */
function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  const files: string[] = [];
  const key = (i: ScenarioIssue): [number, number] => {
    const m = /^(.*):(\d+):(\d+)$/.exec(i.where);
    if (!m) return [-1, 0];
    if (!files.includes(m[1]!)) files.push(m[1]!);
    return [files.indexOf(m[1]!), Number(m[2]) * 10_000 + Number(m[3])];
  };
  const keyed = issues.map((issue) => ({ issue, key: key(issue) }));
  return keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]).map((k) => k.issue);
}
