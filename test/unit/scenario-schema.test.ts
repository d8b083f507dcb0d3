/**
 * Issue 23: the JSON Schema of scenario files, as an editor uses it (Ajv here, yaml-language-server
 * there). Generated from the zod schema; the committed file must be what the generator writes.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { loadScenarioFile, parseScenario } from "../../harness/scenario/load.js";
import { scenarioJsonSchema, scenarioPartJsonSchema } from "../../harness/scenario/json-schema.js";
import { ROOT } from "../helpers/cli.js";

const committed = JSON.parse(readFileSync(join(ROOT, "scenario.schema.json"), "utf8")) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);
const shipped = readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml")).map((f) => join("scenarios", f));
const committedPart = JSON.parse(readFileSync(join(ROOT, "scenario-part.schema.json"), "utf8")) as Record<string, unknown>;
const validatePart = new Ajv({ allErrors: true, strict: false }).compile(committedPart);
const sharedParts = readdirSync(join(ROOT, "scenarios", "shared")).filter((f) => f.endsWith(".yaml")).map((f) => join("scenarios", "shared", f));

/** "/phases/0/faults/0" + "latncy" → "phases[0].faults[0].latncy", the loader's way of naming a key. */
function keyOf(e: ErrorObject): string {
  const parts = e.instancePath.split("/").slice(1);
  if (e.keyword === "additionalProperties") parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return parts.reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), "");
}

describe("scenario.schema.json", () => {
  test("is what the generator writes from the zod schema (npm run schema), and so is scenario-part.schema.json", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
    expect(committedPart).toEqual(JSON.parse(JSON.stringify(scenarioPartJsonSchema())));
  });

  test("every field has a description and an example, and the example is valid where the field is", () => {
    const missing: string[] = [];
    const invalid: string[] = [];
    const ajv = new Ajv({ strict: false });
    const visit = (node: unknown, path: string) => {
      if (Array.isArray(node)) return node.forEach((n) => visit(n, path));
      if (typeof node !== "object" || node === null) return;
      const o = node as Record<string, unknown>;
      for (const [key, field] of Object.entries((o.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        const at = path ? `${path}.${key}` : key;
        if (typeof field.description !== "string" || field.description.length < 10) missing.push(`${at}: description`);
        const examples = field.examples as unknown[] | undefined;
        if (!examples?.length) missing.push(`${at}: example`);
        else if (!ajv.validate(field, examples[0])) invalid.push(`${at}: ${JSON.stringify(examples[0])} (${ajv.errorsText()})`);
        visit(field, at);
      }
      for (const key of ["items", "anyOf", "oneOf", "allOf", "additionalProperties"]) visit(o[key], key === "items" ? `${path}[]` : path);
    };
    visit(committed, "");
    expect(missing).toEqual([]);
    expect(invalid).toEqual([]);
    // The test can fail: a field without words or with an example of the wrong kind is named.
    const broken = structuredClone(committed) as { properties: Record<string, Record<string, unknown>> };
    delete broken.properties.seed!.description;
    broken.properties.name!.examples = ["Not An Identifier"];
    const before = [missing.length, invalid.length];
    missing.length = invalid.length = 0;
    visit(broken, "");
    expect([missing, invalid.map((i) => i.split(":")[0])]).toEqual([["seed: description"], ["name"]]);
    expect(before).toEqual([0, 0]);
  });

  test("a part needs none of the keys a whole scenario needs, and is checked for the rest alike", () => {
    expect(validate({ apiVersion: "aire/v1", name: "x" })).toBe(false);
    expect(validate.errors!.map((e) => (e.params as { missingProperty?: string }).missingProperty)).toEqual(expect.arrayContaining(["target", "traffic", "phases"]));
    expect(validatePart({ extends: "shared/two-providers.yaml", name: "x", target: { reference: { gateway: { profile: "naive" } } } })).toBe(true);
    expect(validatePart({ extends: 5 })).toBe(false);
    expect(validatePart({ target: { reference: { gateway: { profile: "brave" } } } })).toBe(false);
  });

  test.each(sharedParts)("scenario-part.schema.json accepts %s, which starts with its yaml-language-server line; the same schema flags a typo in it", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../../scenario-part.schema.json");
    expect(validatePart(parse(text)), JSON.stringify(validatePart.errors?.slice(0, 3))).toBe(true);
    expect(validatePart(parse(text.replace("slotsPerPod", "slotPerPod")))).toBe(false);
    expect(validatePart.errors!.map(keyOf)).toContain("target.reference.providers[0].slotPerPod");
  });

  // A scenario that extends shared files is a part until merged: its editor line names the part
  // schema, and what it resolves to (scenario.resolved.yaml) is a whole scenario.
  test.each(shipped)("accepts %s, which starts with the yaml-language-server line", async (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    const data = parse(text) as { extends?: unknown };
    if (data.extends === undefined) {
      expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../scenario.schema.json");
      expect(validate(data), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      return;
    }
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../scenario-part.schema.json");
    expect(validatePart(data), JSON.stringify(validatePart.errors?.slice(0, 3))).toBe(true);
    const loaded = await loadScenarioFile(join(ROOT, file));
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(validate(parse(loaded.value.source)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  test("flags the keys `aire validate` flags for mistakes of shape: an unknown key, a rate without its unit, a typo in a shipped scenario", () => {
    const fixture = readFileSync(join(ROOT, "test/fixtures/scenarios/three-mistakes.yaml"), "utf8");
    expect(validate(parse(fixture))).toBe(false);
    const flagged = new Set(validate.errors!.map(keyOf));
    const loader = parseScenario(fixture, "three-mistakes.yaml");
    expect(loader.ok).toBe(false);
    const byLoader = (loader.ok ? [] : loader.issues).map((i) => i.path);
    for (const key of ["phases[0].faults[0].latncy", "traffic.arrival.rate"]) {
      expect(byLoader).toContain(key);
      expect(flagged).toContain(key);
    }

    const typo = readFileSync(join(ROOT, "scenarios/provider-latency.yaml"), "utf8").replace("decodeTokensPerSec: 60", "decodeTokenPerSec: 60");
    expect(validate(parse(typo))).toBe(false);
    expect(validate.errors!.map(keyOf)).toEqual(["target.reference.providers[0].decodeTokenPerSec"]);
    const again = parseScenario(typo, "typo.yaml");
    expect(again.ok ? [] : again.issues.map((i) => i.path)).toEqual(["target.reference.providers[0].decodeTokenPerSec"]);
  });

  test("units: what may be written is what the loader reads", () => {
    const withValue = (from: string, to: string) => validate(parse(readFileSync(join(ROOT, "scenarios/provider-latency.yaml"), "utf8").replace(from, to)));
    expect(withValue("ttft: 80ms", "ttft: 80")).toBe(false);
    expect(withValue("ttft: 80ms", "ttft: 1.5s")).toBe(true);
    expect(withValue("rate: 10/s", "rate: 600/m")).toBe(true);
    expect(withValue("rate: 10/s", "rate: fast")).toBe(false);
    // A switchable policy: false, or its settings.
    expect(withValue("timeouts: { ttft: 400ms }", "timeouts: { ttft: false }")).toBe(true);
    expect(withValue("timeouts: { ttft: 400ms }", "timeouts: { ttft: 400 }")).toBe(false);
  });
});
