/**
 * Scenario loading: YAML (with node ranges) → `--set` overrides → one zod validation →
 * `Result<Scenario, ScenarioIssue[]>`. Every issue is reported at once, with its line and column.
 * @module
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parse as parseYamlValue, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { HarnessError } from "../errors.js";
import { formatPath, locate, parsePath } from "./positions.js";
import { knownKeysAt } from "./schema-walk.js";
import { scenarioSchema, type Scenario } from "./schema.js";
import { closest } from "./suggest.js";

export interface ScenarioIssue {
  /** `file:line:col`, or `--set …` for a value that came from the command line. */
  where: string;
  path: string;
  message: string;
}

export interface LoadOptions {
  /** `path=value` overrides, applied to the document before validation. */
  set?: readonly string[];
  /** Multiplies every phase duration (the timeline), e.g. 0.2 for a quick CI pass. */
  timeScale?: number;
  /** Apply the scenario's own `quick:` block (its time scale and overrides) before `set` and `timeScale`. */
  quick?: boolean;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** The source with the overrides applied: what `scenario.resolved.yaml` records. */
  source: string;
  file: string;
  options: LoadOptions;
}

export type LoadResult = { ok: true; value: LoadedScenario } | { ok: false; issues: ScenarioIssue[] };

/** Reads and validates a scenario file. Never throws for bad content; throws only when the file cannot be read. */
export async function loadScenarioFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, issues: [{ where: file, path: "(file)", message: code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(err)})` }] };
  }
  return parseScenario(text, file, options);
}

/** Validates scenario text. `file` is only used in positions. */
export function parseScenario(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { where: `${file}:${pos.line}:${pos.col}`, path: "(yaml)", message: e.message.split("\n")[0]! };
      }),
    };
  }
  const issues: ScenarioIssue[] = [];
  if (options.quick) {
    // The scenario's quick form: its overrides first (the command line's win), its time scale unless one is given.
    const quick = doc.toJS()?.quick as { timeScale?: unknown; set?: unknown } | undefined;
    if (!quick || typeof quick !== "object") {
      issues.push({ where: file, path: "quick", message: "--quick needs a quick: block in the scenario (timeScale and/or set)" });
    } else {
      const set = Array.isArray(quick.set) ? quick.set.filter((x): x is string => typeof x === "string") : [];
      options = { ...options, set: [...set, ...(options.set ?? [])], ...(options.timeScale === undefined && typeof quick.timeScale === "number" ? { timeScale: quick.timeScale } : {}) };
    }
  }
  const overridden = applyOverrides(doc, options.set ?? [], issues);
  if (options.timeScale !== undefined && !(options.timeScale > 0 && options.timeScale <= 100)) {
    issues.push({ where: "--time-scale", path: "(option)", message: `time scale must be a number above 0 and at most 100, got ${options.timeScale}` });
  }
  const data = doc.toJS();
  const result = scenarioSchema.safeParse(data, { reportInput: true });
  if (!result.success) issues.push(...toIssues(result.error.issues, doc, lines, file, overridden, data));
  if (issues.length > 0 || !result.success) return { ok: false, issues: sortIssues(issues) };

  const scenario = options.timeScale === undefined ? result.data : scaleTimeline(result.data, options.timeScale);
  return { ok: true, value: { scenario, source: doc.toString(), file, options } };
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

function applyOverrides(doc: Document, set: readonly string[], issues: ScenarioIssue[]): Map<string, string> {
  const overridden = new Map<string, string>();
  for (const expr of set) {
    const eq = expr.indexOf("=");
    const path = eq > 0 ? parsePath(expr.slice(0, eq)) : [];
    if (path.length === 0) {
      issues.push({ where: `--set ${expr}`, path: "(option)", message: "expected path=value, e.g. --set traffic.arrival.rate=50/s" });
      continue;
    }
    doc.setIn(path, doc.createNode(parseYamlValue(expr.slice(eq + 1))));
    overridden.set(formatPath(path), `--set ${expr}`);
  }
  return overridden;
}

/** zod's issues as positioned, readable ones: `file:line:col  path  message`, with "did you mean" for keys and enum values. */
export function toIssues(zodIssues: readonly z.core.$ZodIssue[], doc: Document, lines: LineCounter, file: string, overridden: Map<string, string>, data: unknown, schema: z.ZodType = scenarioSchema): ScenarioIssue[] {
  const where = (path: readonly PropertyKey[], atKey = false): string => {
    const text = formatPath(path);
    for (const [prefix, origin] of overridden) if (text === prefix || text.startsWith(`${prefix}.`) || text.startsWith(`${prefix}[`)) return origin;
    const pos = locate(doc, lines, path, atKey);
    return `${file}:${pos.line}:${pos.col}`;
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

function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  const key = (i: ScenarioIssue) => {
    const m = /:(\d+):(\d+)$/.exec(i.where);
    return m ? Number(m[1]) * 10_000 + Number(m[2]) : -1;
  };
  return [...issues].sort((a, b) => key(a) - key(b));
}
