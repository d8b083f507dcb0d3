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
import { stringify } from "yaml";
import { scenarioJsonSchema } from "../scenario/json-schema.js";

/** The generated pages, by path relative to the repository root. */
export function referenceDocs(): Record<string, string> {
  return { "docs/reference/faults.md": faultsPage(), "docs/reference/vocabulary.md": vocabularyPage(), "docs/reference/scenario-fields.md": scenarioFieldsPage() };
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
      out.push(`### \`${entry.kind}\``, "", entry.summary, "", `Works with ${entry.targets}.`, "", "| parameter | type | default | what it does (example) |", "|---|---|---|---|");
      for (const p of entry.params) out.push(`| \`${p.name}\` | ${p.type} | ${p.fallback} | ${cell(p.description)}${p.example === undefined ? "" : ` (\`${cell(flow(p.example))}\`)`} |`);
      if (entry.example) out.push("", "```yaml", entry.example, "```");
      out.push("", `Source: [\`${entry.source}\`](../../${entry.source})`, "");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|");
/** A value as YAML writes it on one line. */
const flow = (value: unknown) => stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trim();

function vocabularyPage(): string {
  const list = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(", ");
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

type Json = Record<string, unknown>;
interface FieldRow {
  path: string;
  type: string;
  fallback: string;
  description: string;
  example: unknown;
}

/** A property's type as a reader writes it: a unit, an enum's values, a list of something, … */
function typeOfField(node: Json): string {
  if (typeof node.title === "string") return node.title;
  if (Array.isArray(node.enum)) return node.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (Array.isArray(node.anyOf ?? node.oneOf)) {
    const variants = (node.anyOf ?? node.oneOf) as Json[];
    return variants.every((v) => v.type === "object") ? "object (one of the forms below)" : [...new Set(variants.map(typeOfField))].join(" or ");
  }
  if (node.type === "array") return Array.isArray(node.items) ? "[min, max]" : `list of ${typeOfField((node.items ?? {}) as Json)}`;
  if (node.type === "object") return node.properties ? "object" : "map";
  if (node.type === "integer") return "integer";
  return typeof node.type === "string" ? node.type : "any";
}

/** The object forms inside a property: itself, a list's items, a map's values, an `off`-able setting's value, union variants. */
function objectsIn(node: Json, path: string): { path: string; node: Json; label?: string }[] {
  if (node.properties) return [{ path, node }];
  if (node.type === "array" && node.items && !Array.isArray(node.items)) return objectsIn(node.items as Json, `${path}[]`);
  if (node.type === "object" && typeof node.additionalProperties === "object") return objectsIn(node.additionalProperties as Json, `${path}.<name>`);
  const variants = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (!variants) return [];
  return variants.flatMap((v) => {
    const tag = Object.entries((v.properties ?? {}) as Record<string, Json>).find(([, p]) => p.const !== undefined || (Array.isArray(p.enum) && p.enum.length === 1));
    const found = objectsIn(v, path);
    return tag ? found.map((f) => ({ ...f, label: `${tag[0]}: ${String(tag[1].const ?? (tag[1].enum as unknown[])[0])}` })) : found;
  });
}

/**
 * docs/reference/scenario-fields.md: every field of a scenario file, from the JSON Schema the zod
 * schema generates, so the page says what an editor's hover says.
 */
function scenarioFieldsPage(): string {
  const sections: { title: string; description?: string; rows: FieldRow[] }[] = [];
  const visit = (object: Json, path: string, label?: string) => {
    const rows: FieldRow[] = [];
    sections.push({ title: path ? `\`${path}\`${label ? ` (${label})` : ""}` : "Top level", description: typeof object.description === "string" ? object.description : undefined, rows });
    const required = new Set((object.required ?? []) as string[]);
    const nested: { path: string; node: Json; label?: string }[] = [];
    for (const [key, node] of Object.entries(object.properties as Record<string, Json>)) {
      const at = path ? `${path}.${key}` : key;
      const examples = node.examples as unknown[] | undefined;
      rows.push({ path: at, type: typeOfField(node), fallback: node.default !== undefined ? `\`${cell(flow(node.default))}\`` : required.has(key) ? "required" : "—", description: String(node.description ?? ""), example: examples?.[0] });
      // A phase's faults are the fault catalogue's (faults.md): one section per kind there.
      if (at === "phases[].faults") continue;
      nested.push(...objectsIn(node, at));
    }
    for (const n of nested) visit(n.node, n.path, n.label);
  };
  visit(scenarioJsonSchema(), "");
  const out = [
    "# Scenario fields",
    "",
    "Generated from the zod schema (`harness/scenario/schema.ts` and the schemas it composes) by `npm run",
    "docs`; do not edit. It says what `scenario.schema.json` says in an editor's hover. How the parts",
    "fit together: [scenario-format.md](../scenario-format.md). A phase's faults, kind by kind:",
    "[faults.md](faults.md); the metrics and the assertion grammar: [vocabulary.md](vocabulary.md).",
    "",
  ];
  for (const section of sections) {
    out.push(`## ${section.title}`, "");
    if (section.description) out.push(section.description, "");
    out.push("| field | type | default | what it is (example) |", "|---|---|---|---|");
    for (const r of section.rows) out.push(`| \`${r.path}\` | ${r.type} | ${r.fallback} | ${cell(r.description)}${r.example === undefined ? "" : ` (\`${cell(flow(r.example))}\`)`} |`);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
