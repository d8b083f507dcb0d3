/**
 * The fault catalogue as data, from the registry's three families: each kind's summary and example
 * (its module comment), its parameters with their types and defaults (its params schema), and the
 * targets that can carry it. `aire faults` prints it; docs/reference/faults.md is rendered from it.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { networkFaults } from "../../faults/network/index.js";
import { podFaults } from "../../faults/pod/index.js";
import { providerFaults } from "../../faults/provider/index.js";
import { packageRoot } from "../base/package-root.js";
import { bandwidth, duration, fraction, identifier, positiveDuration, rate } from "../base/fields.js";

export interface FaultParameter {
  name: string;
  /** `duration`, `fraction`, `name`, `number`, an enum's values, … */
  type: string;
  /** The default as YAML would write it, `required`, or `—` (optional, no default). */
  fallback: string;
  /** What it does (its schema's description). */
  description: string;
  /** A value as a scenario writes it (its schema's example). */
  example: unknown;
}

export interface CatalogueEntry {
  kind: string;
  family: "network" | "provider" | "pod";
  /** The source file, relative to the repository root. */
  source: string;
  /** What the fault does to the system: the module comment before its tags, on one line. */
  summary: string;
  /** Which targets can carry it (the scenario loader refuses the others). */
  targets: string;
  params: FaultParameter[];
  /** A scenario fragment that validates (the module comment's `@example`). */
  example: string | undefined;
}

export const faultFamilies = [
  { name: "network", folder: "faults/network", title: "Network faults", faults: networkFaults, targets: "the reference stack (Toxiproxy backend embedded, container or url); a url target whose `target.toxiproxy.url` has the proxy" },
  { name: "provider", folder: "faults/provider", title: "Provider faults", faults: providerFaults, targets: "the reference stack only (the synthetic providers' admin API)" },
  { name: "pod", folder: "faults/pod", title: "Pod faults", faults: podFaults, targets: "the reference stack (a provider with pods)" },
] as const;

/** Kinds whose targets differ from their family's. */
const targetsOf: Record<string, string> = {
  "k8s-pod-kill": "a url target with `target.kubernetes` (your own cluster; its API server loopback or in `allow:`)",
};

/** A fault's module, whose comment describes it: the TypeScript source in a clone, the compiled module (which keeps it) in an installed package. */
function moduleFile(path: string): string {
  const source = join(packageRoot(), `${path}.ts`);
  return existsSync(source) ? source : join(packageRoot(), "dist", `${path}.js`);
}

export function faultCatalogue(): CatalogueEntry[] {
  return faultFamilies.flatMap((family) =>
    family.faults.map((fault): CatalogueEntry => {
      const path = `${family.folder}/${fault.kind}`;
      // The compiled module keeps its comment; the TypeScript source is read when running uncompiled.
      const comment = moduleComment(readFileSync(moduleFile(path), "utf8"));
      const shape = (fault.params as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      return {
        kind: fault.kind,
        family: family.name,
        source: `${path}.ts`,
        summary: comment.split(/\n@/)[0]!.replace(/\s*\n\s*/g, " ").trim(),
        targets: targetsOf[fault.kind] ?? family.targets,
        params: Object.entries(shape)
          .filter(([key]) => key !== "kind")
          .map(([name, field]) => {
            const meta = z.globalRegistry.get(field) as { description?: string; example?: unknown } | undefined;
            return { name, ...describeField(field), description: meta?.description ?? "", example: meta?.example };
          }),
        example: exampleOf(comment),
      };
    }),
  );
}

/** The text of a module's leading `/** … *\/` comment, without the stars. */
function moduleComment(source: string): string {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(source);
  return m ? m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n").trim() : "";
}

/** The comment's `@example` block, if any. */
function exampleOf(comment: string): string | undefined {
  const lines = comment.split("\n");
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
    // A field documented with .meta() (or refined) is a copy of its schema: its unit is its parent's.
    let known: string | undefined;
    for (let p: unknown = f; p && known === undefined; p = (p as { _zod: { parent?: unknown } })._zod.parent) known = units.get(p);
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

const plain = (markdown: string) => markdown.replace(/`|\*\*/g, "").replace(/\\\|/g, "|");

/** The catalogue for a terminal: every kind on a line, by family. */
export function renderCatalogue(entries: readonly CatalogueEntry[]): string {
  const width = Math.max(...entries.map((e) => e.kind.length)) + 2;
  const out = ["Fault catalogue: `aire faults <kind>` for one in full. Every fault also takes a schedule (at, for, every, ramp)."];
  for (const family of faultFamilies) {
    out.push("", `${family.title} — ${family.targets}`);
    for (const e of entries.filter((x) => x.family === family.name)) out.push(`  ${e.kind.padEnd(width)}${firstSentence(e.summary.replace(/^`[^`]+`:\s*/, ""))}`);
  }
  return plain(out.join("\n"));
}

/** Up to the first full stop that ends a sentence. */
const firstSentence = (text: string) => /^.*?\.(?=\s|$)/.exec(text)?.[0] ?? text;

/** One kind in full: what it does, where it works, its parameters, an example that validates. */
export function renderFault(e: CatalogueEntry): string {
  const rows = [...e.params.map((p) => [p.name, plain(p.type), plain(p.fallback), p.description]), ["schedule", "at, for, every, ramp", "— (every fault; see docs/scenario-format.md)", ""]];
  const w0 = Math.max(...rows.map((r) => r[0]!.length)) + 2;
  const w1 = Math.max(...rows.map((r) => r[1]!.length)) + 2;
  const out = [
    `${e.kind} (${e.family} fault, ${e.source})`,
    "",
    plain(e.summary.replace(/^`[^`]+`:\s*/, "")),
    "",
    `works with: ${plain(e.targets)}`,
    "",
    `${"parameter".padEnd(w0)}${"type".padEnd(w1)}default`,
    ...rows.flatMap(([name, type, fallback, description]) => [`${name!.padEnd(w0)}${type!.padEnd(w1)}${fallback}`, ...(description ? [`${" ".repeat(w0)}${plain(description)}`] : [])]),
  ];
  if (e.example) out.push("", "example:", ...e.example.split("\n").map((l) => `  ${l}`));
  return out.join("\n");
}
