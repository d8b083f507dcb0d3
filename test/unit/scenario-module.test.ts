/**
 * Scenarios in TypeScript (issue 23): a module's exported object goes through the same loader as
 * YAML (harness/scenario/module.ts), so it loads to exactly the scenario its YAML twin does; its
 * mistakes are named by the module and the path. The fixtures are type-checked with the tests
 * (tsconfig.test.json): typo.ts's misspelt key is a type error too.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { formatIssue, loadScenarioFile, parseScenario, type LoadResult } from "../../harness/scenario/load.js";

const issuesOf = (r: LoadResult) => (r.ok ? [] : r.issues.map(formatIssue));
let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "aire-modules-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("scenario modules", () => {
  test.each([false, true])("a TypeScript scenario loads to exactly its YAML twin's values (quick: %s)", async (quick) => {
    const ts = await loadScenarioFile("test/fixtures/modules/provider-latency.ts", { quick });
    const yaml = await loadScenarioFile("scenarios/provider-latency.yaml", { quick });
    expect(issuesOf(ts)).toEqual([]);
    if (!ts.ok || !yaml.ok) return;
    expect(ts.value.scenario).toEqual(yaml.value.scenario);
    // What a run records stands alone: the YAML of the object, loading to the same values.
    const again = parseScenario(ts.value.source, "scenario.resolved.yaml", { quick });
    expect(again.ok && again.value.scenario).toEqual(ts.value.scenario);
    expect(ts.value.origin(["seed"])).toBe("test/fixtures/modules/provider-latency.ts");
  });

  test("a mistake is named by the module and the path in its object, with the same hints", async () => {
    const issues = issuesOf(await loadScenarioFile("test/fixtures/modules/typo.ts"));
    expect(issues).toHaveLength(2);
    expect(issues).toEqual(
      expect.arrayContaining([
        'test/fixtures/modules/typo.ts  phases[0].durration  unknown key "durration"; did you mean "duration"?',
        'test/fixtures/modules/typo.ts  phases[0].duration  missing required key "duration"',
      ]),
    );
  });

  test("refused: a module that exports no scenario, one that does not load, a function that throws; --set goes on top", async () => {
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    expect(issuesOf(await loadScenarioFile(await write("none.ts", "export const other = 1;\n")))).toEqual([`${join(dir, "none.ts")}  (module)  no scenario exported: write export default defineScenario({ … }) (or export const scenario)`]);
    expect(issuesOf(await loadScenarioFile(await write("syntax.ts", "export default {\n")))[0]).toMatch(new RegExp(`^${join(dir, "syntax.ts")}  \\(module\\)  the module did not load: `));
    expect(issuesOf(await loadScenarioFile(await write("throws.mjs", "export default () => { throw new Error('no cluster'); };\n")))).toEqual([`${join(dir, "throws.mjs")}  (module)  the exported function threw: no cluster`]);
    // Outside an ES-module package tsx compiles TypeScript to CommonJS: its default export still counts.
    const cjs = await loadScenarioFile(await write("cjs.ts", "export default { apiVersion: 'aire/v1', name: 'cjs', target: { reference: { providers: [{ name: 'p' }] } }, traffic: { arrival: { rate: '5/s' } }, phases: [{ name: 'a', duration: '5s' }] };\n"));
    expect(cjs.ok && cjs.value.scenario.name).toBe("cjs");
    const made = await write("made.mjs", "export const scenario = async () => ({ apiVersion: 'aire/v1', name: 'made', target: { reference: { providers: [{ name: 'p' }] } }, traffic: { arrival: { rate: '5/s' } }, phases: [{ name: 'a', duration: '5s' }] });\n");
    const loaded = await loadScenarioFile(made, { set: ["traffic.arrival.rate=7/s"] });
    expect(loaded.ok && loaded.value.scenario.traffic.arrival).toMatchObject({ rate: 7 });
  });
});
