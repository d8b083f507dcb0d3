/**
 * Hostile and nonsensical scenario input (issue 18, defects 1–5): every bad input is a positioned
 * issue (`file:line:col` or the `--set`/`quick.set` entry that brought it), never an exception, and
 * the loader's cost stays bounded whatever the file holds.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { parseScenario, type LoadOptions, type LoadResult } from "../../harness/scenario/load.js";
import { minimalScenario } from "../helpers/scenarios.js";

const latencyFile = fileURLToPath(new URL("../../scenarios/provider-latency.yaml", import.meta.url));
const latency = readFileSync(latencyFile, "utf8");

const minimal = minimalScenario;

/** Parses and returns the issues; a throw fails the test with the input that caused it. */
function issuesOf(text: string, options: LoadOptions = {}, file = "s.yaml"): { where: string; path: string; message: string }[] {
  let result: LoadResult;
  try {
    result = parseScenario(text, file, options);
  } catch (err) {
    throw new Error(`parseScenario threw for ${JSON.stringify(options)}: ${(err as Error).message}`);
  }
  return result.ok ? [] : result.issues;
}

const positioned = /^(s\.yaml:\d+:\d+|--set .+|\S+\.yaml:\d+:\d+ \(quick\.set\[\d+\]\) .+)$/;

describe("bad overrides and partly valid documents are issues, not crashes (defects 1, 2)", () => {
  test.each([
    ["hypotheses[0].minSamples=0", "hypotheses[0].minSamples"],
    ["hypotheses[0].expect=[]", "hypotheses[0].expect"],
    ['name=""', "name"],
    ["name.foo=1", "name.foo"],
    ["phases.x=1", "phases.x"],
    ["name=[unclosed", "name"],
    ["name=*x", "name"],
    ["phases[7].duration=1s", "phases[7].duration"],
    ["=1", "(option)"],
  ])("--set %s", (set, path) => {
    const issues = issuesOf(latency, { set: [set] }, latencyFile);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => i.path)).toContain(path);
    for (const i of issues) expect(i.where).toBe(`--set ${set}`);
  });

  test("a field error inside a hypothesis does not stop the others being reported", () => {
    const text = `${minimal}hypotheses:\n  - { name: h, during: only, minSamples: 0, expect: ['availability >= 99%'] }\n  - { name: g, during: only, expect: ['ttft.p95 < 80'] }\n`;
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(["hypotheses[0].minSamples", "hypotheses[1].expect[0]"]);
    for (const i of issues) expect(i.where).toMatch(positioned);
  });

  test("quick.set entries are checked like --set, and named by their place in the file", () => {
    const text = `${minimal}quick: { timeScale: 0.5, set: [ "name.foo=1", "phases[0].duration=0s" ] }\n`;
    const issues = issuesOf(text, { quick: true });
    expect(issues.map((i) => [i.where, i.path])).toEqual([
      ["s.yaml:11:33 (quick.set[0]) name.foo=1", "name.foo"],
      ["s.yaml:11:47 (quick.set[1]) phases[0].duration=0s", "phases[0].duration"],
    ]);
  });
});

describe("input the loader refuses before it can cost time or memory (defects 3, 4)", () => {
  test("an alias bomb is a positioned issue", () => {
    const bomb = `${minimal}x:\n  a: &a ["x","x","x","x","x","x","x","x","x"]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
    const issues = issuesOf(bomb);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.where).toMatch(/^s\.yaml:\d+:\d+$/);
    expect(issues[0]!.message).toMatch(/alias/);
  });

  test("deeply nested flow collections are refused at the line that goes too deep", () => {
    const deep = `${minimal}x: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`;
    const started = performance.now();
    const issues = issuesOf(deep);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.where).toMatch(/^s\.yaml:11:\d+$/);
    expect(issues[0]!.message).toMatch(/nested/);
  });

  test("duplicate keys are found in linear time: 55,000 keys under one map check in well under the 27 s they took", () => {
    let text = `${minimal}x:\n`;
    for (let i = 0; i < 55_000; i++) text += `  k${i}: ${i}\n`;
    text += "  k17: again\n";
    const started = performance.now();
    const issues = issuesOf(text);
    const ms = performance.now() - started;
    // The quadratic check took 27 s here; a linear one parses this in about 0.5 s on this machine.
    expect(ms).toBeLessThan(5_000);
    expect(issues.map((i) => [i.where, i.message])).toContainEqual([`s.yaml:${11 + 55_000 + 1}:3`, 'map keys must be unique: "k17" is already at line 29']);
  });

  test("a file over the size bound is refused at once, naming its size", () => {
    const huge = minimal + `# ${"x".repeat(2 * 1024 * 1024)}\n`;
    const started = performance.now();
    const issues = issuesOf(huge);
    expect(performance.now() - started).toBeLessThan(500);
    expect(issues).toEqual([{ where: "s.yaml:1:1", path: "(file)", message: expect.stringMatching(/2\.0 MiB.*at most 1 MiB/) }]);
  });
});

describe("accepted nonsense is now a positioned error (defect 5)", () => {
  const cases: [string, string, string, RegExp][] = [
    ["client.timeout: 0ms", "traffic.client.timeout=0ms", "traffic.client.timeout", /above 0/],
    ["client.timeout: 100000000000000000000h", "traffic.client.timeout=100000000000000000000h", "traffic.client.timeout", /at most 168h \(7 days\)/],
    ["a phase of 0s", "phases[0].duration=0s", "phases[0].duration", /above 0/],
    ["a billion requests/s", "traffic.arrival.rate=1000000000/s", "traffic.arrival.rate", /at most 100000\/s/],
    ["scheduleLag.p99: 0ms", "limits.scheduleLag.p99=0ms", "limits.scheduleLag.p99", /above 0/],
  ];
  test.each(cases)("%s", (_name, set, path, message) => {
    const issues = issuesOf(minimal, { set: [set] });
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)!.message).toMatch(message);
  });

  test("a spike after the end of the run", () => {
    const issues = issuesOf(minimal.replace("arrival: { rate: 5/s }", "arrival: { type: spike, rate: 5/s, spike: { at: 10h, for: 5s, rate: 50/s } }"));
    expect(issues).toEqual([{ where: "s.yaml:8:51", path: "traffic.arrival.spike.at", message: "the spike starts at 10h, after the run ends (2s): it would never be sent" }]);
    // With a time scale the run is shorter: a spike that fits the full run may not fit the quick one.
    const quick = issuesOf(minimal.replace("arrival: { rate: 5/s }", "arrival: { type: spike, rate: 5/s, spike: { at: 1s, for: 1s, rate: 50/s } }"), { timeScale: 0.25 });
    expect(quick.map((i) => i.message)).toEqual(["the spike starts at 1s, after the run ends (500ms): it would never be sent"]);
  });

  test("a canary with a maxTokens too small to hold it", () => {
    const issues = issuesOf(minimal.replace("arrival: { rate: 5/s }", "arrival: { rate: 5/s }\n  mix: [ { name: chat, maxTokens: 4, quality: { canary: 0.5 } } ]"));
    expect(issues.map((i) => [i.path, i.message])).toEqual([["traffic.mix[0].maxTokens", "a canary answer takes 5 tokens (aire-123456789): maxTokens 4 cuts it off, so every canary would fail"]]);
  });

  test("duplicate workload names", () => {
    const issues = issuesOf(minimal.replace("arrival: { rate: 5/s }", "arrival: { rate: 5/s }\n  mix: [ { name: chat }, { name: chat, stream: false } ]"));
    expect(issues.map((i) => [i.path, i.message])).toEqual([["traffic.mix[1].name", 'workload "chat" is defined twice']]);
  });

  test("during: fault in a scenario with no faults", () => {
    const issues = issuesOf(`${minimal}hypotheses:\n  - { name: h, during: fault, expect: ['availability >= 99%'] }\n  - { name: g, after: fault + 1s, expect: ['availability >= 99%'] }\n`);
    expect(issues.map((i) => [i.where, i.message])).toEqual([
      ["s.yaml:12:24", "this scenario has no faults, so the window during: fault is empty (in aire gameday, a fault injected by hand fills it)"],
      ["s.yaml:13:23", "this scenario has no faults, so the window after: fault is empty (in aire gameday, a fault injected by hand fills it)"],
    ]);
    // A game day's faults may all come by hand.
    expect(issuesOf(`${minimal}hypotheses:\n  - { name: h, during: fault, expect: ['availability >= 99%'] }\n`, { faultsByHand: true })).toEqual([]);
  });
});
