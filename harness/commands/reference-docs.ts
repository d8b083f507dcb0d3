/**
 * docs/reference/: the parts of the documentation that the code already states — the fault
 * catalogue (from the registry and each fault's params schema and module comment) and the
 * measurement vocabulary — generated so that they cannot drift (`npm run docs`; a test compares).
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { networkFaults } from "../../faults/network/index.js";
import { podFaults } from "../../faults/pod/index.js";
import { providerFaults } from "../../faults/provider/index.js";
import { bandwidth, duration, fraction, identifier, positiveDuration, rate } from "../base/fields.js";
import { errorClasses, latencyMetrics, ratioMetrics, stats } from "../metrics/vocabulary.js";
import { goodputMetrics, operators } from "../slo/expression.js";

const families = [
  { name: "network", folder: "faults/network", title: "Network faults", faults: networkFaults },
  { name: "provider", folder: "faults/provider", title: "Provider faults", faults: providerFaults },
  { name: "pod", folder: "faults/pod", title: "Pod faults", faults: podFaults },
] as const;

/** The generated pages, by path relative to the repository root. */
export function referenceDocs(root: string): Record<string, string> {
  return { "docs/reference/faults.md": faultsPage(root), "docs/reference/vocabulary.md": vocabularyPage() };
}

function faultsPage(root: string): string {
  const out = [
    "# Fault catalogue",
    "",
    "Generated from `faults/registry.ts` by `npm run docs`; do not edit. Every fault also takes an",
    "optional `schedule` (`at`, `for`, `every`, `ramp`: see [scenario-format.md](../scenario-format.md)).",
    "Durations take a unit (`800ms`, `2s`), rates one too (`20/s`), fractions a percentage or 0–1.",
    "",
  ];
  for (const family of families) {
    out.push(`## ${family.title} (\`${family.folder}/\`)`, "");
    for (const fault of family.faults) {
      const file = `${family.folder}/${fault.kind}.ts`;
      out.push(`### \`${fault.kind}\``, "", summaryOf(readFileSync(join(root, file), "utf8")), "", "| parameter | type | default |", "|---|---|---|");
      const shape = (fault.params as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      for (const [key, field] of Object.entries(shape)) {
        if (key === "kind") continue;
        const { type, fallback } = describeField(field);
        out.push(`| \`${key}\` | ${type} | ${fallback} |`);
      }
      const example = exampleOf(readFileSync(join(root, file), "utf8"));
      if (example) out.push("", "```yaml", example, "```");
      out.push("", `Source: [\`${file}\`](../../${file})`, "");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The module comment's text before its tags, on one line. */
function summaryOf(source: string): string {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return "";
  return m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n").split(/\n@/)[0]!.replace(/\s*\n\s*/g, " ").trim();
}

/** The `@example` block of the module comment, if any. */
function exampleOf(source: string): string | undefined {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(source);
  const lines = m?.[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")) ?? [];
  const start = lines.findIndex((l) => l.startsWith("@example"));
  if (start < 0) return undefined;
  const body = lines.slice(start + 1);
  const end = body.findIndex((l) => l.startsWith("@"));
  return (end < 0 ? body : body.slice(0, end)).join("\n").trim() || undefined;
}

const units = new Map<unknown, string>([[duration, "duration"], [positiveDuration, "duration (> 0)"], [rate, "rate"], [fraction, "fraction"], [bandwidth, "bandwidth (`5KB/s`)"], [identifier, "name"]]);

/** A field's type and default, read from its zod definition. */
function describeField(field: z.ZodType): { type: string; fallback: string } {
  let f = field as unknown as { _zod: { def: Record<string, unknown> } };
  let fallback = "required";
  for (;;) {
    const known = units.get(f);
    if (known) return { type: known, fallback };
    const def = f._zod.def;
    if (def.type === "optional") fallback = fallback === "required" ? "—" : fallback;
    else if (def.type === "default" || def.type === "prefault") fallback = `\`${JSON.stringify(typeof def.defaultValue === "function" ? (def.defaultValue as () => unknown)() : def.defaultValue)}\``;
    else break;
    f = def.innerType as typeof f;
  }
  const def = f._zod.def;
  switch (def.type) {
    case "enum": return { type: Object.values(def.entries as Record<string, string>).map((v) => `\`${v}\``).join(" \\| "), fallback };
    case "literal": return { type: (def.values as unknown[]).map((v) => `\`${String(v)}\``).join(" \\| "), fallback };
    case "number": return { type: "number", fallback };
    case "string": return { type: "string", fallback };
    case "boolean": return { type: "boolean", fallback };
    case "array": return { type: "list", fallback };
    case "object": return { type: "object", fallback };
    case "union": return { type: (def.options as z.ZodType[]).map((o) => describeField(o).type).join(" or "), fallback };
    default: return { type: String(def.type), fallback };
  }
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
