import { describe, expect, test } from "vitest";
import { countChatTokens } from "../../harness/base/wire/tokens.js";
import { seededRandom } from "../../harness/base/random/prng.js";
import { parseScenario } from "../../harness/scenario/load.js";
import { drawTokens, largestTokens, typicalTokens, type TokenDistribution } from "../../harness/traffic/distribution.js";
import { PromptBook } from "../../harness/traffic/prompts.js";

const draws = (d: TokenDistribution, n = 20_000, seed = 1) => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => drawTokens(d, random));
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

describe("token-count distributions", () => {
  test("fixed and uniform", () => {
    expect(new Set(draws(128, 100))).toEqual(new Set([128]));
    const u = draws({ dist: "uniform", min: 10, max: 20 });
    expect(Math.min(...u)).toBe(10);
    expect(Math.max(...u)).toBe(20);
    expect(u.filter((x) => x === 15).length / u.length).toBeCloseTo(1 / 11, 1);
  });

  test("lognormal hits its median and its p99", () => {
    const d = { dist: "lognormal" as const, median: 400, p99: 4_000 };
    const xs = draws(d);
    expect(quantile(xs, 0.5) / 400).toBeGreaterThan(0.95);
    expect(quantile(xs, 0.5) / 400).toBeLessThan(1.05);
    expect(quantile(xs, 0.99) / 4_000).toBeGreaterThan(0.85);
    expect(quantile(xs, 0.99) / 4_000).toBeLessThan(1.15);
    expect([typicalTokens(d), largestTokens(d) > 4_000]).toEqual([400, true]);
  });

  test("normal is clamped to at least 1 token; empirical follows its weights", () => {
    const n = draws({ dist: "normal", mean: 5, sd: 10 });
    expect(Math.min(...n)).toBe(1);
    const e = draws({ dist: "empirical", values: [{ tokens: 100, weight: 3 }, { tokens: 1000, weight: 1 }, { tokens: 7, weight: 0 }] });
    expect(e.filter((x) => x === 100).length / e.length).toBeCloseTo(0.75, 1);
    expect(e).not.toContain(7);
  });

  test("a prompt drawn for n tokens is n tokens long as the provider counts them (o200k_base), within a few percent", async () => {
    const book = await PromptBook.create(5);
    const random = seededRandom(2);
    for (const n of [50, 200, 1_000, 20_000]) {
      const counted = countChatTokens([{ role: "user", content: book.prompt(n, random) }]);
      expect(Math.abs(counted - n) / n).toBeLessThan(0.03);
    }
  });
});

describe("token-count configuration", () => {
  const scenario = (mix: string) => `apiVersion: aire/v1
name: d
target:
  reference:
    providers: [{ name: primary }]
traffic:
  arrival: { rate: 1/s }
  mix:
    - ${mix}
phases: [{ name: p, duration: 1s }]
`;
  test.each([
    ["{ promptTokens: { dist: lognormal, median: 300, p99: 3000 }, maxTokens: { dist: uniform, min: 16, max: 64 } }", ""],
    ["{ promptTokens: { dist: lognormal, median: 300, p99: 30 } }", "d.yaml:9:60  traffic.mix[0].promptTokens.p99  p99 must not be below the median"],
    ["{ promptTokens: { dist: uniform, min: 9, max: 3 } }", "traffic.mix[0].promptTokens.max  min must not be above max"],
    ["{ promptTokens: { dist: empirical, values: [{ tokens: 5, weight: 0 }] } }", "traffic.mix[0].promptTokens.values  the weights add up to 0"],
    ["{ maxTokens: { dist: poisson, mean: 3 } }", 'traffic.mix[0].maxTokens.dist  unknown distribution "poisson"'],
    ["{ maxTokens: 0 }", "traffic.mix[0].maxTokens"],
  ])("%s", (mix, message) => {
    const result = parseScenario(scenario(mix), "d.yaml");
    expect(result.ok).toBe(message === "");
    if (!result.ok) expect(result.issues.map((i) => `${i.where}  ${i.path}  ${i.message}`).join("\n")).toContain(message);
  });
});
