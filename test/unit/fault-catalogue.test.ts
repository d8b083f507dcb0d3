/**
 * Issue 23: `aire faults [kind]` and docs/reference/faults.md come from one catalogue. Every
 * registered kind is in it with what it does, where it works and its parameters, and its example
 * validates when put in a scenario: the reference stack's, or a url target's when the example names
 * one (k8s-pod-kill).
 */
import { describe, expect, test } from "vitest";
import { parse, stringify } from "yaml";
import { faultKinds } from "../../faults/index.js";
import { faultCatalogue, renderCatalogue, renderFault } from "../../harness/commands/fault-catalogue.js";
import { parseScenario } from "../../harness/scenario/load.js";

const catalogue = faultCatalogue();

/** A scenario with the example's faults in its second phase (and the example's target and allow:, when it has them). */
function scenarioWith(example: string): string {
  const fragment = parse(example) as { faults: unknown[]; target?: unknown; allow?: unknown };
  const scenario: Record<string, unknown> = {
    apiVersion: "aire/v1",
    name: "catalogue-example",
    target: fragment.target ?? { reference: { providers: [{ name: "primary", pods: 2 }, { name: "secondary" }] } },
    traffic: { arrival: { rate: "5/s" } },
    phases: [{ name: "before", duration: "2s" }, { name: "broken", duration: "40s", faults: fragment.faults }],
  };
  if (fragment.allow) scenario.allow = fragment.allow;
  return stringify(scenario);
}

describe("the fault catalogue", () => {
  test("lists every registered kind, once, with a summary, its targets and its parameters", () => {
    expect(catalogue.map((e) => e.kind).sort()).toEqual([...faultKinds].sort());
    for (const e of catalogue) {
      expect(e.summary, e.kind).toMatch(new RegExp(`^\`${e.kind}\`: .{20,}`));
      expect(e.targets, e.kind).toMatch(/reference stack|url target/);
      expect(e.params.length, e.kind).toBeGreaterThan(0);
      for (const p of e.params) {
        expect(p.fallback, `${e.kind}.${p.name}`).toMatch(/^(required|—|`.+`)$/);
        expect(p.description.length, `${e.kind}.${p.name}: what it does`).toBeGreaterThan(10);
        expect(p.example, `${e.kind}.${p.name}: an example`).toBeDefined();
      }
    }
    expect(catalogue.find((e) => e.kind === "latency")!.params).toContainEqual(expect.objectContaining({ name: "latency", type: "duration", fallback: "required", description: expect.stringMatching(/^Delay added/), example: "800ms" }));
    expect(catalogue.find((e) => e.kind === "k8s-pod-kill")!.targets).toMatch(/^a url target with `target.kubernetes`/);
  });

  test.each(catalogue.map((e) => [e.kind, e] as const))("%s: its example validates in a scenario", (_kind, entry) => {
    expect(entry.example).toBeDefined();
    const result = parseScenario(scenarioWith(entry.example!), "example.yaml");
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  test("an example with a mistake is refused: the test above can fail", () => {
    const result = parseScenario(scenarioWith("faults:\n  - { kind: latency, proxy: primary, latncy: 800ms }"), "example.yaml");
    expect(result.ok).toBe(false);
  });

  test("terminal forms: one line a kind by family; one kind with its parameter table and example", () => {
    const all = renderCatalogue(catalogue);
    for (const kind of faultKinds) expect(all).toMatch(new RegExp(`^  ${kind} +\\S`, "m"));
    expect(all).toMatch(/^Provider faults — the reference stack only/m);
    const one = renderFault(catalogue.find((e) => e.kind === "latency")!);
    expect(one).toMatch(/^latency \(network fault, faults\/network\/latency\.ts\)$/m);
    expect(one).toMatch(/^stream +upstream \| downstream +"downstream"$/m);
    expect(one).toMatch(/^example:\n {2}faults:\n {4}- \{ kind: latency, proxy: primary, latency: 800ms/m);
    expect(one).not.toContain("`");
  });
});
