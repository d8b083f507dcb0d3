import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Timing assertions need the CPU: on a 2-core machine, run files one at a time.
    fileParallelism: false,
    reporters: ["default", "./test/reporters/summary-line.ts"],
  },
});
