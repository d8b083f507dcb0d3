// Bundles the compiled command line (dist/harness/cli.js) into dist/bundle/: one entry file and its
// chunks, split where the program imports lazily (each command, each served component). A process
// of the reference stack (gateway, provider front, pod, Toxiproxy) then loads a few files instead
// of some three hundred: Node 20 resolves and reads each module of the compiled tree on its own,
// which was about a third of a child's start-up. `aire`'s bin and every child process run this.
// Left out: testcontainers (native ssh2 add-ons), tsx (it registers its own loader files) and
// gpt-tokenizer (its rank table is read at run time, from a cached JSON copy or its own module:
// harness/base/wire/o200k.ts).
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { aire: join(root, "dist", "harness", "cli.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.18",
  chunkNames: "chunks/[name]-[hash]",
  // Loaded from node_modules when a run asks for them: the exports (OpenTelemetry's SDK; snappy, a native addon), and packages that read their own files.
  external: ["testcontainers", "gpt-tokenizer", "gpt-tokenizer/*", "tsx", "tsx/*", "@opentelemetry/*", "snappy"],
  // CommonJS packages inside an ES module bundle call require(): give each file one.
  banner: { js: 'import { createRequire as __aireCreateRequire } from "node:module"; const require = __aireCreateRequire(import.meta.url);' },
  logLevel: "warning",
});
