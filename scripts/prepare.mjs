// `prepare`: compiles the TypeScript and bundles the command line (scripts/bundle.mjs) unless
// dist/ is newer than every source. npm runs it on
// `npm ci`, and again each time `npx aire` is first used in a clone (npm 11 installs the project
// itself into npx's cache to link its bin, running `prepare` there): with dist/ up to date that
// costs a few milliseconds instead of a whole compile (15–20 s on a loaded 2-core machine).
// `npm test` builds through it too: after `npm ci` (which compiled) it does not compile again.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, "dist", ".prepared");

/** The newest modification time of the files the build reads. */
function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) if (name !== "node_modules") max = Math.max(max, newest(join(path, name)));
  return max;
}

const inputs = ["harness", "faults", "reports", "bench", "scripts/bundle.mjs", "tsconfig.json", "package.json", "package-lock.json"].map((p) => join(root, p)).filter(existsSync);
const bundle = join(root, "dist", "bundle", "aire.js");
if (existsSync(stamp) && existsSync(bundle) && statSync(stamp).mtimeMs >= Math.max(...inputs.map(newest))) process.exit(0);
const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const bundled = spawnSync(process.execPath, [join(root, "scripts", "bundle.mjs")], { stdio: "inherit" });
if (bundled.status !== 0) process.exit(bundled.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
