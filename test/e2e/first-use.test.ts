/**
 * Issue 18, defect 21: on a fresh clone the README's `npx aire …` starts at once. npm 11 installs
 * the project itself into npx's cache the first time (to link its bin) and runs `prepare` there;
 * `prepare` compiles only when dist/ is older than the sources, so that first use costs about half
 * a second, not another whole compile (15–20 s). The test gives npx an empty cache of its own.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../helpers/cli.js";

describe("first use", () => {
  test("npx aire in a clone, with an empty npx cache, answers within a few seconds and compiles nothing", async () => {
    // dist/ as npm ci leaves it (a no-op when it is already up to date).
    expect(spawnSync(process.execPath, ["scripts/prepare.mjs"], { cwd: ROOT, stdio: "inherit" }).status).toBe(0);
    const cache = await mkdtemp(join(tmpdir(), "aire-npx-cache-"));
    try {
      const started = performance.now();
      const r = spawnSync("npx", ["--yes", "aire", "--version"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: "false" }, timeout: 60_000 });
      const ms = performance.now() - started;
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.stdout.trim()).toBe("0.1.0");
      // Measured 0.5 s here; a compile in prepare took 6 s idle and 15–20 s loaded.
      expect(ms).toBeLessThan(4_000);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  }, 60_000);
});
