/**
 * docs/reference/: the parts of the documentation that the code already states — the fault
 * catalogue (from the registry and each fault's params schema and module comment) and the
 * measurement vocabulary — generated so that they cannot drift (`npm run docs`; a test compares).
 * @module
 */
import { faultCatalogue, faultFamilies } from "./fault-catalogue.js";
import { errorClassDefinitions, metricDefinitions, stats } from "../metrics/vocabulary.js";
import { assertionForms } from "../slo/grammar.js";
import { goodputMetrics, operators } from "../slo/expression.js";

/** The generated pages, by path relative to the repository root. */
export function referenceDocs(): Record<string, string> {
  return { "docs/reference/faults.md": faultsPage(), "docs/reference/vocabulary.md": vocabularyPage() };
}

function faultsPage(): string {
  const out = [
    "# Fault catalogue",
    "",
    "Generated from `faults/registry.ts` by `npm run docs` (`aire faults [kind]` prints the same); do not",
    "edit. Every fault also takes an optional `schedule` (`at`, `for`, `every`, `ramp`: see",
    "[scenario-format.md](../scenario-format.md)). Durations take a unit (`800ms`, `2s`), rates one too",
    "(`20/s`), fractions a percentage or 0–1.",
    "",
  ];
  const catalogue = faultCatalogue();
  for (const family of faultFamilies) {
    out.push(`## ${family.title} (\`${family.folder}/\`)`, "");
    for (const entry of catalogue.filter((e) => e.family === family.name)) {
      out.push(`### \`${entry.kind}\``, "", entry.summary, "", `Works with ${entry.targets}.`, "", "| parameter | type | default |", "|---|---|---|");
      for (const p of entry.params) out.push(`| \`${p.name}\` | ${p.type} | ${p.fallback} |`);
      if (entry.example) out.push("", "```yaml", entry.example, "```");
      out.push("", `Source: [\`${entry.source}\`](../../${entry.source})`, "");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function vocabularyPage(): string {
  const list = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(", ");
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  return [
    "# Measurement vocabulary",
    "",
    "Generated from `harness/metrics/vocabulary.ts`, `harness/slo/grammar.ts` and",
    "`harness/slo/expression.ts` by `npm run docs` (`aire metrics` prints the same); do not edit. How",
    "each metric is measured: [metrics.md](../metrics.md); verdicts and hypotheses:",
    "[scenario-format.md](../scenario-format.md).",
    "",
    "## Metrics",
    "",
    "| metric | definition |",
    "|---|---|",
    ...Object.entries(metricDefinitions).map(([metric, text]) => `| \`${metric}\` | ${cell(text)} |`),
    "",
    `Latency metrics take a statistic: ${list(stats)} (\`ttft.p95\`). Goodput conditions take ${list(goodputMetrics)}.`,
    "",
    "## Error classes",
    "",
    "| class | a failed request is in it when |",
    "|---|---|",
    ...Object.entries(errorClassDefinitions).map(([name, text]) => `| \`${name}\` | ${cell(text)} |`),
    "",
    "## Assertions",
    "",
    `Operators: ${list(operators)}. Ratios are a percentage or a fraction from 0 to 1; durations and rates carry a unit.`,
    "",
    "| form | examples | meaning |",
    "|---|---|---|",
    ...assertionForms.map((f) => `| \`${cell(f.form)}\` | ${f.examples.map((e) => `\`${cell(e)}\``).join(", ")} | ${cell(f.meaning)} |`),
    "",
  ].join("\n");
}

/** The same vocabulary for a terminal (`aire metrics`). */
export function vocabularyText(): string {
  const table = (rows: readonly (readonly [string, string])[]) => {
    const width = Math.max(...rows.map(([k]) => k.length)) + 2;
    return rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`);
  };
  return [
    "Metrics (per request, from its intended send time):",
    ...table(Object.entries(metricDefinitions)),
    `  Latency metrics take a statistic: ${stats.join(" ")} (ttft.p95). Goodput conditions take ${goodputMetrics.join(" ")}.`,
    "",
    "Error classes:",
    ...table(Object.entries(errorClassDefinitions)),
    "",
    `Assertions (operators ${operators.join(" ")}; ratios as 99.5% or 0.995; durations and rates with a unit):`,
    ...assertionForms.flatMap((f) => [`  ${f.form}`, `      ${f.meaning}`, ...f.examples.map((e) => `      e.g. ${e}`)]),
    "",
    "How each is measured: docs/metrics.md; the generated page: docs/reference/vocabulary.md.",
  ].join("\n");
}
