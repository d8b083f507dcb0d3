/**
 * Issue 23: `aire metrics` and docs/reference/vocabulary.md come from one vocabulary; every example
 * of the assertion grammar is one the parser reads.
 */
import { describe, expect, test } from "vitest";
import { errorClasses, errorClassDefinitions, latencyMetrics, metricDefinitions, ratioMetrics } from "../../harness/metrics/vocabulary.js";
import { assertionForms } from "../../harness/slo/grammar.js";
import { parseAssertion } from "../../harness/slo/expression.js";
import { vocabularyText } from "../../harness/commands/reference-docs.js";

describe("the measurement vocabulary", () => {
  test("every metric and every error class has a definition", () => {
    expect(Object.keys(metricDefinitions).sort()).toEqual([...latencyMetrics, ...ratioMetrics].sort());
    expect(Object.keys(errorClassDefinitions).sort()).toEqual([...errorClasses].sort());
  });

  test.each(assertionForms.flatMap((f) => f.examples))("the example %s parses", (example) => {
    expect(parseAssertion(example)).toMatchObject({ ok: true });
  });

  test("a broken example would not: the test above can fail", () => {
    expect(parseAssertion("ttft.p95 < 800")).toMatchObject({ ok: false });
  });

  test("aire metrics prints each metric, class and form", () => {
    const text = vocabularyText();
    for (const name of [...latencyMetrics, ...ratioMetrics, ...errorClasses]) expect(text).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    for (const f of assertionForms) expect(text).toContain(`  ${f.form}\n`);
    expect(text).toContain("e.g. goodput(ttft < 1s, tpot < 50ms) >= 95%");
  });
});
