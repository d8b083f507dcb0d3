/** The scenarios `aire init` writes (harness/commands/init.ts): every incident, both targets. */
import { describe, expect, test } from "vitest";
import { planText } from "../../harness/commands/plan.js";
import { incidents, nameFromFile, scenarioText, type InitAnswers } from "../../harness/commands/init.js";
import { parseScenario } from "../../harness/scenario/load.js";

const base: InitAnswers = {
  name: "team",
  target: { kind: "reference" },
  slo: { ttftP95: "1s", availability: "99%", errorRate: "1%" },
  incidents: [],
  load: { rate: "10/s", streamShare: 0.8, promptTokens: 500, maxTokens: 200 },
};
const load = (text: string) => {
  const r = parseScenario(text, "team.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
};

describe("aire init's scenarios", () => {
  test.each(incidents.map((i) => i.id))("%s on the reference stack: loads, its faults in their phase, every rate SLO decidable (full and quick form)", (id) => {
    const text = scenarioText({ ...base, incidents: [id] }, "team.yaml", "scenario.schema.json");
    const loaded = load(text);
    expect(loaded.scenario.phases.map((p) => p.name)).toEqual(["baseline", id, `after-${id}`]);
    expect(loaded.scenario.phases[1]!.faults.length).toBeGreaterThan(0);
    expect(planText(loaded)).not.toMatch(/! cannot PASS/);
    const quick = parseScenario(text, "team.yaml", { quick: true });
    expect(quick.ok && planText(quick.value)).not.toMatch(/! cannot PASS/);
    // Wrong answers are errors only the canary checks see: silent degradation brings them.
    expect(loaded.scenario.traffic.mix.every((w) => (w.quality?.canary !== undefined) === (id === "silent-degradation"))).toBe(true);
  });

  test("a stricter SLO lengthens the phases so that each window can still decide it", () => {
    const strict = load(scenarioText({ ...base, slo: { ...base.slo, availability: "99.9%" }, incidents: ["outage"] }, "team.yaml", "s.json"));
    expect(strict.scenario.phases.map((p) => p.duration)).toEqual([480_000, 480_000, 480_000]);
    expect(planText(strict)).not.toMatch(/! cannot PASS/);
  });

  test("a url target: its model, key variable and Toxiproxy; remote hosts in allow:; only network incidents, on its proxy", () => {
    const url: InitAnswers = { ...base, target: { kind: "url", url: "https://llm.staging.example/v1", model: "gpt-4o-mini", keyEnv: "GATEWAY_KEY", toxiproxyUrl: "http://127.0.0.1:8474", proxy: "openai-upstream" }, incidents: ["slow-provider", "network-brownout"] };
    const loaded = load(scenarioText(url, "team.yaml", "s.json"));
    expect(loaded.scenario.target).toMatchObject({ url: "https://llm.staging.example/v1", apiKeyEnv: "GATEWAY_KEY", toxiproxy: { url: "http://127.0.0.1:8474" } });
    expect(loaded.scenario.allow).toEqual(["llm.staging.example"]);
    expect(loaded.scenario.traffic.model).toBe("gpt-4o-mini");
    expect(loaded.scenario.phases[1]!.faults).toEqual([expect.objectContaining({ kind: "latency", proxy: "openai-upstream" })]);
    expect(() => scenarioText({ ...url, incidents: ["pod-loss"] }, "team.yaml", "s.json")).toThrow(/these answers cannot make a scenario/);
    expect(() => scenarioText({ ...url, target: { ...url.target, toxiproxyUrl: undefined } as InitAnswers["target"], incidents: ["outage"] }, "team.yaml", "s.json")).toThrow(/cannot make a scenario/);
  });

  test("names from file names", () => {
    expect(nameFromFile("scenarios/Payments Gateway.yaml")).toBe("payments-gateway");
    expect(nameFromFile("2026.yml")).toBe("scenario-2026");
  });
});
