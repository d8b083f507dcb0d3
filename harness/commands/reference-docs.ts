/**
 * docs/reference/: the parts of the documentation that the code already states — the fault
 * catalogue (from the registry and each fault's params schema and module comment) and the
 * measurement vocabulary — generated so that they cannot drift (`npm run docs`; a test compares).
 * @module
 */
import { faultCatalogue, faultFamilies } from "./fault-catalogue.js";
import { errorClasses, latencyMetrics, ratioMetrics, stats } from "../metrics/vocabulary.js";
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
  return [
    "# Measurement vocabulary",
    "",
    "Generated from `harness/metrics/vocabulary.ts` and `harness/slo/expression.ts` by `npm run docs`;",
    "do not edit. What each metric means and how it is measured: [metrics.md](../metrics.md); the",
    "assertion grammar: [scenario-format.md](../scenario-format.md).",
    "",
    "| words | values |",
    "|---|---|",
    `| latency metrics (\`<metric>.<stat>\`) | ${list(latencyMetrics)} |`,
    `| statistics | ${list(stats)} |`,
    `| rates (\`availability\`, \`error_rate{class=…}\`) | ${list(ratioMetrics)} |`,
    `| error classes | ${list(errorClasses)} |`,
    `| goodput conditions (\`goodput(<metric> < <duration>, …)\`) | ${list(goodputMetrics)} |`,
    `| operators | ${list(operators)} |`,
    "",
  ].join("\n");
}
