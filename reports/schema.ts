/**
 * The JSON Schema of `summary.json`, generated from the {@link RunReport} type so the two cannot
 * drift: `npm run schema` rewrites `reports/summary.schema.json`, and a test fails when the
 * committed file differs from a fresh generation.
 * @module
 */
import { createGenerator } from "ts-json-schema-generator";
import { fileURLToPath } from "node:url";
import { SCHEMA_VERSION } from "../harness/results/run-report.js";

/** The schema as committed: generated, with an id and a title naming its version. */
export function generateSummarySchema(root: string): Record<string, unknown> {
  const schema = createGenerator({ path: `${root}/harness/results/run-report.ts`, tsconfig: `${root}/tsconfig.json`, type: "RunReport", topRef: false, expose: "export", skipTypeCheck: true }).createSchema("RunReport");
  return { $id: `urn:aire:summary:v${SCHEMA_VERSION}`, title: `aire summary.json, schema version ${SCHEMA_VERSION}`, ...schema };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { writeFileSync } = await import("node:fs");
  const root = fileURLToPath(new URL("../..", import.meta.url));
  writeFileSync(`${root}/reports/summary.schema.json`, `${JSON.stringify(generateSummarySchema(root), null, 2)}\n`);
  console.log("wrote reports/summary.schema.json");
}
