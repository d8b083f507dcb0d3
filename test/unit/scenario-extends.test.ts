/**
 * `extends:` (issue 23): scenarios built on shared files. The merge (maps key by key, lists and
 * values whole), the order (bases, then the scenario, then quick.set and --set), every mistake at
 * its own file:line:col, the resolved source standing alone, and where each value came from.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { planText } from "../../harness/commands/plan.js";
import { formatIssue, loadScenarioFile, parseScenario, type LoadResult } from "../../harness/scenario/load.js";

let dir: string;
const file = (name: string) => join(dir, name);
const write = async (name: string, text: string) => {
  await mkdir(join(dir, name, ".."), { recursive: true });
  await writeFile(file(name), text);
};
const issuesOf = (r: LoadResult) => (r.ok ? [] : r.issues.map(formatIssue));
const ok = (r: LoadResult) => {
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join("\n"));
  return r.value;
};

const TARGET = `# one target for every scenario of the team
target:
  reference:
    gateway:
      profile: resilient
      timeouts: { ttft: 400ms }
    providers:
      - { name: primary, pods: 2, ttft: 80ms }
      - { name: secondary, pods: 2, ttft: 60ms }
`;
const SLOS = `hypotheses:
  - name: healthy
    during: steady
    expect: [ttft.p95 < 300ms, availability >= 90%]
quick: { timeScale: 0.5, set: ["traffic.arrival.rate=20/s"] }
`;
const OWN = `extends: [shared/target.yaml, shared/slos.yaml]
apiVersion: aire/v1
name: team-scenario
target:
  reference:
    gateway:
      timeouts: { idle: 2s }
traffic:
  arrival: { rate: 10/s }
phases:
  - { name: steady, duration: 20s }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aire-extends-"));
  await write("shared/target.yaml", TARGET);
  await write("shared/slos.yaml", SLOS);
  await write("team.yaml", OWN);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("extends", () => {
  test("shared files merge under the scenario's own keys: maps key by key at any depth, lists whole", async () => {
    const { scenario } = ok(await loadScenarioFile(file("team.yaml")));
    // The gateway: profile and ttft from the shared target, idle from the scenario.
    expect(scenario.target.reference!.gateway).toMatchObject({ profile: "resilient", timeouts: { ttft: 400, idle: 2000 } });
    expect(scenario.target.reference!.providers.map((p) => p.name)).toEqual(["primary", "secondary"]);
    expect(scenario.hypotheses.map((h) => h.name)).toEqual(["healthy"]);
    expect(scenario.extends).toBeUndefined();
    // A list in the scenario replaces the shared one whole.
    await write("own-providers.yaml", OWN.replace("      timeouts: { idle: 2s }\n", "      timeouts: { idle: 2s }\n    providers:\n      - { name: only, pods: 1 }\n"));
    const own = ok(await loadScenarioFile(file("own-providers.yaml")));
    expect(own.scenario.target.reference!.providers.map((p) => p.name)).toEqual(["only"]);
  });

  test("later files win over earlier ones; a shared file may extend another; --set and quick.set go on top", async () => {
    await write("shared/bigger.yaml", `extends: target.yaml\ntarget:\n  reference:\n    gateway: { timeouts: { ttft: 900ms } }\n`);
    await write("chain.yaml", OWN.replace("extends: [shared/target.yaml, shared/slos.yaml]", "extends: [shared/slos.yaml, shared/bigger.yaml]"));
    const chained = ok(await loadScenarioFile(file("chain.yaml")));
    expect(chained.scenario.target.reference!.gateway.timeouts).toMatchObject({ ttft: 900, idle: 2000 });
    expect(chained.scenario.target.reference!.providers).toHaveLength(2);
    const quick = ok(await loadScenarioFile(file("team.yaml"), { quick: true, set: ["target.reference.gateway.timeouts.ttft=500ms"] }));
    expect(quick.scenario.traffic.arrival).toMatchObject({ rate: 20 });
    expect(quick.scenario.phases[0]!.duration).toBe(10_000);
    expect(quick.scenario.target.reference!.gateway.timeouts?.ttft).toBe(500);
    // A new key under a merged map (the fuzz test found that the merge's maps lacked the document's
    // schema, and --set threw instead of reporting the unknown key).
    const created = issuesOf(await loadScenarioFile(file("team.yaml"), { set: ["x.y=0", "target.reference.gateway.extra.z=1"] }));
    expect(created).toHaveLength(2);
    expect(created).toEqual(
      expect.arrayContaining([
        '--set x.y=0  x  unknown key "x" (allowed here: extends, apiVersion, name, description, seed, target, traffic, phases, probes, hypotheses, abort, quick, proof, prices, limits, allow, export)',
        expect.stringMatching(/^--set target\.reference\.gateway\.extra\.z=1  target\.reference\.gateway\.extra  unknown key "extra"/),
      ]),
    );
  });

  test("the resolved source is the whole scenario: no extends, and it loads alone to the same values", async () => {
    const loaded = ok(await loadScenarioFile(file("team.yaml")));
    expect(loaded.source).not.toMatch(/^extends:/m);
    const again = ok(parseScenario(loaded.source, "elsewhere/scenario.resolved.yaml"));
    expect(again.scenario).toEqual(loaded.scenario);
  });

  test("origin: each value's file and line, the override that set it, or nothing for a default", async () => {
    const loaded = ok(await loadScenarioFile(file("team.yaml"), { set: ["traffic.arrival.rate=5/s"] }));
    expect(loaded.origin(["target", "reference", "gateway", "profile"])).toBe(`${file("shared/target.yaml")}:5:16`);
    expect(loaded.origin(["target", "reference", "providers", 1, "name"])).toBe(`${file("shared/target.yaml")}:9:17`);
    expect(loaded.origin(["target", "reference", "gateway", "timeouts", "idle"])).toBe(`${file("team.yaml")}:7:25`);
    expect(loaded.origin(["hypotheses", 0, "name"])).toBe(`${file("shared/slos.yaml")}:2:11`);
    expect(loaded.origin(["traffic", "arrival", "rate"])).toBe("--set traffic.arrival.rate=5/s");
    expect(loaded.origin(["seed"])).toBeUndefined();
  });

  test("aire plan marks each resolved value not written in the scenario with its file, its override or default", async () => {
    const plan = planText(ok(await loadScenarioFile(file("team.yaml"), { set: ["traffic.arrival.rate=5/s"] })));
    const resolved = plan.slice(plan.indexOf("resolved values"));
    expect(resolved).toContain(`profile: resilient  # ${file("shared/target.yaml")}:5:16`);
    expect(resolved).toMatch(/\n {10}idle: 2000\n/);
    expect(resolved).toContain("rate: 5  # --set traffic.arrival.rate=5/s");
    expect(resolved).toContain("seed: 1  # default");
    // An assertion's parts come from its text, written in the shared SLO file.
    expect(resolved).toContain(`- text: ttft.p95 < 300ms  # ${file("shared/slos.yaml")}:4:14`);
    expect(resolved).toMatch(new RegExp(`metric: ttft  # ${file("shared/slos.yaml")}:4:14`));
  });

  test("a mistake in a shared file is reported at its own file:line:col, with the same hints", async () => {
    await write("shared/bad.yaml", `target:\n  reference:\n    providers:\n      - { name: primary, ttft: 400, slotsPerPood: 4 }\n`);
    await write("uses-bad.yaml", OWN.replace("shared/target.yaml", "shared/bad.yaml"));
    const issues = issuesOf(await loadScenarioFile(file("uses-bad.yaml")));
    expect(issues).toContainEqual(expect.stringMatching(new RegExp(`^${file("shared/bad.yaml")}:4:32  target\\.reference\\.providers\\[0\\]\\.ttft  duration 400 needs a unit`)));
    expect(issues).toContainEqual(`${file("shared/bad.yaml")}:4:37  target.reference.providers[0].slotsPerPood  unknown key "slotsPerPood"; did you mean "slotsPerPod"?`);
    // Its syntax too.
    await write("shared/broken.yaml", `target:\n  reference: { providers: [\n`);
    await write("uses-broken.yaml", OWN.replace("shared/target.yaml", "shared/broken.yaml"));
    expect(issuesOf(await loadScenarioFile(file("uses-broken.yaml")))[0]).toMatch(new RegExp(`^${file("shared/broken.yaml")}:\\d+:\\d+  \\(yaml\\)`));
  });

  test("refused, each at the extends entry or the shared file's place: a missing file, a circle, a list, an alias, a bad value", async () => {
    await write("missing.yaml", OWN.replace("shared/slos.yaml", "shared/nope.yaml"));
    expect(issuesOf(await loadScenarioFile(file("missing.yaml")))).toEqual([`${file("missing.yaml")}:1:31  extends  no such file: ${file("shared/nope.yaml")} (a path in extends is relative to the file that names it)`]);
    await write("shared/a.yaml", "extends: b.yaml\n");
    await write("shared/b.yaml", "extends: [a.yaml]\n");
    await write("circle.yaml", OWN.replace("shared/slos.yaml", "shared/a.yaml"));
    expect(issuesOf(await loadScenarioFile(file("circle.yaml")))).toEqual([`${file("shared/b.yaml")}:1:11  extends  ${file("shared/a.yaml")} is already being extended: extends goes round in a circle`]);
    await write("shared/list.yaml", "- a\n- b\n");
    await write("list.yaml", OWN.replace("shared/slos.yaml", "shared/list.yaml"));
    expect(issuesOf(await loadScenarioFile(file("list.yaml")))).toEqual([`${file("shared/list.yaml")}:1:1  (root)  a file used through extends holds scenario keys (a map such as target: or hypotheses:), not a list`]);
    await write("shared/alias.yaml", "seed: &s 4\ndescription: *s\n");
    await write("alias.yaml", OWN.replace("shared/slos.yaml", "shared/alias.yaml"));
    expect(issuesOf(await loadScenarioFile(file("alias.yaml")))[0]).toMatch(new RegExp(`^${file("shared/alias.yaml")}:2:14  \\(yaml\\)  a file used through extends cannot use aliases`));
    await write("number.yaml", OWN.replace("extends: [shared/target.yaml, shared/slos.yaml]", "extends: 5"));
    expect(issuesOf(await loadScenarioFile(file("number.yaml")))).toEqual([`${file("number.yaml")}:1:10  extends  extends takes a file name or a list of them, e.g. extends: [shared/target.yaml, shared/slos.yaml]`]);
  });

  test("refused too: a device or a directory as a shared file, and extends set by an override", async () => {
    await write("device.yaml", OWN.replace("shared/slos.yaml", "/dev/zero"));
    expect(issuesOf(await loadScenarioFile(file("device.yaml")))).toEqual([`${file("device.yaml")}:1:31  extends  cannot read /dev/zero (not a regular file)`]);
    await write("folder.yaml", OWN.replace("shared/slos.yaml", "shared"));
    expect(issuesOf(await loadScenarioFile(file("folder.yaml")))).toEqual([`${file("folder.yaml")}:1:31  extends  cannot read ${file("shared")} (not a regular file)`]);
    expect(issuesOf(await loadScenarioFile(file("team.yaml"), { set: ["extends=shared/other.yaml"] }))).toEqual(["--set extends=shared/other.yaml  extends  extends is resolved before any override: name the shared files in the scenario"]);
  });

  test("a long chain stops at its bound with a positioned issue", async () => {
    for (let i = 0; i < 12; i++) await write(`deep/d${i}.yaml`, `extends: d${i + 1}.yaml\n`);
    await write("deep/d12.yaml", "seed: 3\n");
    await write("deep.yaml", OWN.replace("shared/slos.yaml", "deep/d0.yaml"));
    const issues = issuesOf(await loadScenarioFile(file("deep.yaml")));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/deep\/d\d+\.yaml:1:10  extends  extends goes more than 8 files deep$/);
  });
});
