import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../helpers/cli.js";

// The layers of docs/architecture.md, as .dependency-cruiser.cjs names them: no cycle, no import
// upwards or sideways, every module in a room.
test("dependency-cruiser: 0 cycles and no upward or sideways import between the rooms", () => {
  const bin = join(ROOT, "node_modules", ".bin", "depcruise");
  const run = spawnSync(bin, ["harness", "faults", "reports", "--config", ".dependency-cruiser.cjs", "--output-type", "json"], { cwd: ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  expect(run.error).toBeUndefined();
  const result = JSON.parse(run.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number; error: number } };
  expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  expect(result.summary.error).toBe(0);
  // The rules see the whole tree: every module of the three folders was read.
  expect(result.summary.totalCruised).toBeGreaterThan(150);
}, 120_000);

test("the rules can fail: a base module importing the orchestrator, and back, is upward and a cycle", async () => {
  const dir = await mkdtemp(join(tmpdir(), "aire-layers-"));
  try {
    await mkdir(join(dir, "harness", "base"), { recursive: true });
    await mkdir(join(dir, "harness", "orchestrator"), { recursive: true });
    await copyFile(join(ROOT, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
    await copyFile(join(ROOT, "tsconfig.json"), join(dir, "tsconfig.json"));
    await writeFile(join(dir, "harness", "base", "a.ts"), 'import { b } from "../orchestrator/b.js";\nexport const a = () => b;\n');
    await writeFile(join(dir, "harness", "orchestrator", "b.ts"), 'import { a } from "../base/a.js";\nexport const b = () => a;\n');
    const bin = join(ROOT, "node_modules", ".bin", "depcruise");
    const run = spawnSync(bin, ["harness", "--config", ".dependency-cruiser.cjs", "--output-type", "json"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    const result = JSON.parse(run.stdout) as { summary: { violations: { rule: { name: string } }[] } };
    const rules = new Set(result.summary.violations.map((v) => v.rule.name));
    expect(rules).toContain("base-not-upward");
    expect(rules).toContain("no-circular");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
