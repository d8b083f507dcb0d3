/**
 * A standing guarantee (issue 18): mutations of every shipped scenario and random `--set` overrides
 * never crash the loader or `aire plan`. Each input gives either a valid scenario that plans, or
 * issues that are all positioned (`file:line:col`, `--set …`, or a `quick.set` entry), each within a
 * time bound. fast-check prints the seed and the shrunk input of any failure.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { isMap, isSeq, parseDocument, type Node } from "yaml";
import { describe, expect, test } from "vitest";
import { planText } from "../../harness/commands/plan.js";
import { parseScenario, type LoadOptions } from "../../harness/scenario/load.js";

const dir = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const shipped = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => ({ file: `scenarios/${f}`, text: readFileSync(`${dir}${f}`, "utf8") }));

/** Every path in a document (`traffic.arrival.rate`, `phases[1].faults[0].latency`), for overrides that hit real places. */
function pathsOf(text: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown, prefix: string) => {
    if (prefix) out.push(prefix);
    if (isMap(node)) for (const pair of node.items) walk(pair.value, prefix ? `${prefix}.${String((pair.key as Node & { value?: unknown })?.toJSON?.() ?? pair.key)}` : String((pair.key as Node & { value?: unknown })?.toJSON?.() ?? pair.key));
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, `${prefix}[${i}]`));
  };
  walk(parseDocument(text).contents, "");
  return out;
}

const positioned = (file: string) => new RegExp(`^(${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:\\d+:\\d+.*)?|--set .*|--time-scale|\\(option\\))$`);

/** What a user's CLI does with the input: load, and plan when it loads. Returns the issues; throws only on a defect. */
function loadAndPlan(text: string, file: string, options: LoadOptions): { ok: boolean; ms: number; issues: { where: string; path: string; message: string }[] } {
  const started = performance.now();
  const result = parseScenario(text, file, options);
  if (result.ok) expect(planText(result.value).length).toBeGreaterThan(0);
  return { ok: result.ok, ms: performance.now() - started, issues: result.ok ? [] : result.issues };
}

function check(text: string, file: string, options: LoadOptions = {}): void {
  const { ms, issues } = loadAndPlan(text, file, options);
  expect(ms).toBeLessThan(2_000);
  const pattern = positioned(file);
  for (const issue of issues) {
    expect(issue.where).toMatch(pattern);
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.message).not.toMatch(/\n\s+at /); // never a stack trace
  }
}

const junkValue = fc.oneof(
  fc.constantFrom("0", "-1", "1e309", "0ms", "0s", "1e20h", "100000000000000000h", "1000000000/s", "[]", "{}", "[unclosed", "*x", "&a x", "null", "~", '""', "''", "true", "NaN", ".inf", "- a", "{a: 1, a: 2}", "2s", "10/s", "50%", "-5%", "abc", "ttft.p95 < 1s"),
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
);

describe("scenario fuzzing: any mutation gives a scenario or positioned issues, never a crash", () => {
  test("random --set overrides on every shipped scenario (and its quick form)", () => {
    const cases = shipped.map((s) => ({ ...s, paths: pathsOf(s.text) }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: cases.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(""), fc.constantFrom(".foo", "[0]", "[99]", ".x.y", "[1].z")), junkValue), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (which, sets, quick) => {
          const c = cases[which]!;
          const set = sets.map(([p, suffix, value]) => `${c.paths[p % c.paths.length]}${suffix}=${value}`);
          check(c.text, c.file, { set, ...(quick ? { quick: true } : {}) });
        },
      ),
      { numRuns: 400 },
    );
  });

  test("text mutations of every shipped scenario: lines dropped, doubled or swapped, characters inserted", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: shipped.length - 1 }),
        fc.array(fc.tuple(fc.constantFrom("drop", "double", "swap", "insert", "indent"), fc.nat(), fc.constantFrom("[", "]", "{", "}", ":", "- ", "*a", "&a ", "#", '"', "'", "\t", "0", "ms", "x: 1", "\n", "? ")), { minLength: 1, maxLength: 4 }),
        (which, edits) => {
          const { file, text } = shipped[which]!;
          let lines = text.split("\n");
          for (const [kind, n, piece] of edits) {
            const i = n % lines.length;
            if (kind === "drop") lines.splice(i, 1);
            else if (kind === "double") lines.splice(i, 0, lines[i]!);
            else if (kind === "swap") [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length]!, lines[i]!];
            else if (kind === "indent") lines[i] = ` ${lines[i]}`;
            else {
              const line = lines[i]!;
              const at = n % (line.length + 1);
              lines[i] = line.slice(0, at) + piece + line.slice(at);
            }
            if (lines.length === 0) lines = [""];
          }
          check(lines.join("\n"), file);
        },
      ),
      { numRuns: 400 },
    );
  });
});
