/**
 * `aire metrics`: the metrics, the error classes and the assertion grammar, with examples.
 * @module
 */
import { Command } from "commander";

export function registerMetrics(program: Command): void {
  program
    .command("metrics")
    .description("the metrics, the error classes and the assertion grammar, with examples")
    .action(async () => {
      const { vocabularyText } = await import("../commands/reference-docs.js");
      process.stdout.write(`${vocabularyText()}\n`);
    });
}
