// npm run docs: writes docs/reference/ from the compiled code (dist/), which `npm run docs` builds first.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { referenceDocs } = await import(join(root, "dist/harness/commands/reference-docs.js"));
for (const [path, text] of Object.entries(referenceDocs())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  process.stdout.write(`wrote ${path}\n`);
}
