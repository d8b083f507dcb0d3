/**
 * Scenario modules: a `.ts`, `.mts`, `.js` or `.mjs` file whose default export (or `scenario`
 * export) is a scenario object, or a function that returns one. TypeScript is compiled in-process
 * by tsx (esbuild underneath), so a scenario may import shared blocks from other modules. The
 * object becomes YAML and goes through the same loader as a YAML file: the same schema, `extends`,
 * `quick`, `--set`; what a run records (`scenario.resolved.yaml`) is that YAML, so the run can be
 * reported and repeated without the module. Issues name the module and the path in the object
 * (the YAML's lines would point nowhere the user wrote).
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import type { ScenarioIssue } from "./positions.js";

/** Files loaded as modules, not as YAML. */
export const modulePattern = /\.(?:[cm]?ts|m?js)$/i;

/** The module's scenario as YAML text, or why there is none. */
export async function scenarioModuleText(file: string): Promise<{ ok: true; text: string } | { ok: false; issue: ScenarioIssue }> {
  const fail = (message: string) => ({ ok: false as const, issue: { where: file, path: "(module)", message } });
  const url = pathToFileURL(resolve(file)).href;
  let exported: Record<string, unknown>;
  try {
    exported = /\.[cm]?ts$/i.test(file) ? ((await (await import("tsx/esm/api")).tsImport(url, import.meta.url)) as Record<string, unknown>) : ((await import(url)) as Record<string, unknown>);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes(resolve(file))) return fail("no such file");
    return fail(`the module did not load: ${String((err as Error).message ?? err).split("\n")[0]}`);
  }
  let value = exported.scenario ?? defaultExport(exported);
  try {
    if (typeof value === "function") value = await (value as () => unknown)();
  } catch (err) {
    return fail(`the exported function threw: ${String((err as Error).message ?? err).split("\n")[0]}`);
  }
  if (value === undefined) return fail("no scenario exported: write export default defineScenario({ … }) (or export const scenario)");
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(`the exported scenario is ${Array.isArray(value) ? "a list" : typeof value === "object" ? "null" : `a ${typeof value}`}, not an object`);
  return { ok: true, text: stringify(value) };
}

/**
 * The module's default export. A TypeScript file outside an ES-module package is compiled to
 * CommonJS: its namespace's default is then `module.exports`, which holds `default` (or
 * `scenario`) when the file exported one, and only its named exports when it did not.
 */
function defaultExport(namespace: Record<string, unknown>): unknown {
  const value = namespace.default;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const inner = value as Record<string, unknown>;
  if ("default" in inner || "scenario" in inner) return inner.default ?? inner.scenario;
  const named = Object.keys(namespace).filter((k) => k !== "default" && k !== "module.exports");
  return named.length > 0 && named.every((k) => k in inner) ? undefined : value;
}
