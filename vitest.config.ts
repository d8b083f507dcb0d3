import { defineConfig } from "vitest/config";

/**
 * Four projects, run one after the other (sequence.groupOrder): unit tests in parallel (pure code,
 * no timing: the inner loop, `npm run test:unit`); the static checks (lint, the layers' import
 * rules); then integration and end-to-end tests one file at a time, because their timing
 * assertions need the CPU of this 2-core machine.
 */
export default defineConfig({
  test: {
    reporters: ["default", "./test/reporters/summary-line.ts"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000, sequence: { groupOrder: 0 } } },
      { test: { name: "static", include: ["test/static/**/*.test.ts"], testTimeout: 180_000, sequence: { groupOrder: 1 } } },
      { test: { name: "integration", include: ["test/integration/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000, fileParallelism: false, sequence: { groupOrder: 2 } } },
      { test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000, fileParallelism: false, sequence: { groupOrder: 3 } } },
    ],
  },
});
