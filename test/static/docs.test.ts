import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { referenceDocs } from "../../harness/commands/reference-docs.js";
import { faultKinds } from "../../faults/index.js";
import { parseScenario } from "../../harness/scenario/load.js";
import { ROOT } from "../helpers/cli.js";

test("docs/reference/ is what the code generates (npm run docs)", () => {
  for (const [path, text] of Object.entries(referenceDocs())) expect(readFileSync(join(ROOT, path), "utf8"), path).toBe(text);
});

test("the fault catalogue page lists every registered kind with its parameters", () => {
  const page = referenceDocs()["docs/reference/faults.md"]!;
  for (const kind of faultKinds) expect(page).toContain(`### \`${kind}\``);
  expect(page).toMatch(/### `latency`\n\n.+\n\nWorks with .+\.\n\n\| parameter \| type \| default \| what it does \(example\) \|\n\|---\|---\|---\|---\|\n(\|.+\|\n)*\| `latency` \| duration \| required \| Delay added to the data, in the stream.s direction\. \(`800ms`\) \|/);
});

test("the README is the front door (under 15 KB) and every relative link in it and docs/ resolves", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  expect(Buffer.byteLength(readme)).toBeLessThan(15_000);
  const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`), ...readdirSync(join(ROOT, "docs/reference")).map((f) => `docs/reference/${f}`)];
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      if (!existsSync(join(ROOT, dirname(page), target!))) broken.push(`${page} → ${target}`);
    }
  }
  expect(broken).toEqual([]);
});

test("every whole scenario written in docs/scenario-format.md validates", () => {
  const text = readFileSync(join(ROOT, "docs/scenario-format.md"), "utf8");
  const scenarios = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => /^apiVersion: aire\/v1$/m.test(block) && !/^extends:/m.test(block)); // (a scenario that extends files of its own cannot be read alone)
  expect(scenarios.length).toBeGreaterThan(0);
  for (const block of scenarios) {
    const result = parseScenario(block, "docs/scenario-format.md");
    expect(result.ok ? [] : result.issues).toEqual([]);
  }
});
