/**
 * The JSON Schema of scenario files, generated from the one zod schema (`scenarioSchema`) so the
 * two cannot drift: editors (yaml-language-server, through the `# yaml-language-server: $schema=…`
 * line every shipped scenario starts with) complete keys and flag unknown ones as `aire validate`
 * does, and shows each field's description and example on hover. It describes what may be written
 * (zod's input side): fields with units are strings such as `800ms`, `20/s`, `50%` or `5KB/s`. Checks across fields (a fault's provider exists, a window
 * names a phase) stay `aire validate`'s. `npm run schema` rewrites `scenario.schema.json`; a test
 * fails when the committed file differs from a fresh generation.
 * @module
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { bandwidth, duration, fraction, positiveDuration, rate, switchableInner, writtenAs } from "../base/fields.js";
import { scenarioSchema } from "./schema.js";
import { allFaults } from "../../faults/registry.js";

const durationText = { type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$" };

/** What the fields with units accept as written (the zod side parses and bounds them). */
const written = new Map<z.ZodType, Record<string, unknown>>([
  [duration, { ...durationText, title: "duration", description: "a duration with a unit: 800ms, 20s, 2m, 1h (at most 7 days)", examples: ["800ms", "20s"] }],
  [positiveDuration, { ...durationText, title: "duration (> 0)", description: "a duration above 0 with a unit: 800ms, 20s, 2m, 1h (at most 7 days)", examples: ["30s"] }],
  [rate, { title: "rate", type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*/\\s*(s|m|h)\\s*$", description: "a rate with a unit: 20/s, 600/m (at most 100,000/s)", examples: ["10/s"] }],
  [fraction, { title: "fraction", anyOf: [{ type: "number", minimum: 0, maximum: 1 }, { type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*%\\s*$" }], description: "a fraction from 0 to 1, or a percentage: 50%", examples: ["50%"] }],
  [bandwidth, { title: "bandwidth", type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*(B|KB|MB)/s\\s*$", description: "a bandwidth with a unit: 500B/s, 100KB/s, 2MB/s", examples: ["100KB/s"] }],
]);

/** The schema, then the ones it was copied from (`.meta()` and `.refine()` copy a schema): a documented `duration` is still a duration. */
function lineage(schema: z.ZodType): z.ZodType[] {
  const out: z.ZodType[] = [];
  for (let s: z.ZodType | undefined = schema; s && out.length < 16; s = (s as unknown as { _zod: { parent?: z.ZodType } })._zod.parent) out.push(s);
  return out;
}

/** What a field with a unit, a switchable setting or a field parsed by hand accepts as written. */
function replacementFor(schema: z.ZodType): Record<string, unknown> | undefined {
  for (const s of lineage(schema)) {
    const found = written.get(s) ?? switchableOf(s) ?? writtenOf(s);
    if (found) return found;
  }
  return undefined;
}

const options = {
  io: "input",
  target: "draft-7",
  // Inline: a field documented with .meta() is a copy of a shared schema (duration, an arrival),
  // and references would wrap each in allOf [$ref]; inlined, every property reads on its own.
  reused: "inline",
  unrepresentable: "any",
  override: (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
    const schema = ctx.zodSchema as z.ZodType;
    const json = ctx.jsonSchema;
    const replacement = replacementFor(schema);
    if (replacement) {
      // The field's own words stay; the unit's follow them.
      const own = { description: json.description, example: json.example, default: json.default };
      for (const key of Object.keys(json)) delete json[key];
      Object.assign(json, replacement);
      if (typeof own.description === "string") json.description = typeof replacement.description === "string" ? `${own.description} Written as ${replacement.description}.` : own.description;
      if (own.example !== undefined) json.example = own.example;
      if (own.default !== undefined) json.default = own.default;
    }
    // Fields carry one example (meta `example`; zod drops `examples` of fields it transforms):
    // JSON Schema's `examples`.
    if (json.example !== undefined) {
      json.examples = [json.example];
      delete json.example;
    }
  },
} as const;

/** A field parsed by hand: what may be written there. */
function writtenOf(schema: z.ZodType): Record<string, unknown> | undefined {
  const as = writtenAs.get(schema);
  if (!as) return undefined;
  const { $schema: _drop, ...json } = z.toJSONSchema(as, options) as Record<string, unknown>;
  return json;
}

/** A switchable setting: `false`, or its inner schema. */
function switchableOf(schema: z.ZodType): Record<string, unknown> | undefined {
  const inner = switchableInner.get(schema);
  if (!inner) return undefined;
  const { $schema: _drop, ...json } = z.toJSONSchema(inner, options) as Record<string, unknown>;
  return { anyOf: [{ const: false, description: "off" }, json] };
}

/** The schema as committed: generated, with an id and a title. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, options) as Record<string, unknown>;
  return { $schema: schema.$schema, $id: "urn:aire:scenario:v1", title: "aire scenario (apiVersion: aire/v1)", description: "A declarative chaos experiment: a target, synthetic LLM traffic, phases with faults, and hypotheses scored against SLO assertions. Reference: docs/scenario-format.md", ...schema };
}

/** `schema` without a `required` anywhere in it. */
function nothingRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nothingRequired);
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([k, v]) => !(k === "required" && Array.isArray(v))).map(([k, v]) => [k, nothingRequired(v)]));
}

/**
 * The schema of a part of a scenario: a shared file named by `extends:`, and a scenario that names
 * such files (it leaves keys to them). The scenario's keys, types and units, none required at any
 * depth: a part holds only some (a target, an SLO set). `aire validate` checks the whole scenario
 * once merged.
 */
export function scenarioPartJsonSchema(): Record<string, unknown> {
  const whole = nothingRequired(scenarioJsonSchema()) as Record<string, unknown>;
  return { ...whole, $id: "urn:aire:scenario-part:v1", title: "aire scenario part (a file named by a scenario's extends:)", description: "Some of a scenario's keys, shared by the scenarios that name this file in extends:. Maps merge key by key under theirs; lists and values are replaced whole. Reference: docs/scenario-format.md" };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { writeFileSync } = await import("node:fs");
  const root = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../../" : "../../", import.meta.url));
  writeFileSync(`${root}/scenario.schema.json`, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  writeFileSync(`${root}/scenario-part.schema.json`, `${JSON.stringify(scenarioPartJsonSchema(), null, 2)}\n`);
  console.log("wrote scenario.schema.json and scenario-part.schema.json");
}

/** Each fault kind's parameters as written in a scenario (the game-day console builds its form from them). */
export function faultJsonSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(allFaults.map((f) => {
    const { $schema: _drop, ...json } = z.toJSONSchema(f.params, options) as Record<string, unknown>;
    return [f.kind, json];
  }));
}
