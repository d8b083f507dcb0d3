/**
 * `npm run bench -- instructions`: the traffic generator's CPU cost per request as counted
 * instructions (valgrind's callgrind), next to autocannon's and bare undici's. Each generator runs
 * 2,000 and 12,000 requests after 5,000 uncounted ones (closed loop, 64 connections, the same
 * non-streaming upstream); the difference, divided by 10,000, is the cost of one request without
 * the start-up or the JIT's compiling. Counts user-space instructions only, not the kernel's.
 * They do not repeat exactly: the generator runs 50 times slower under valgrind while the upstream
 * does not, and how the answers batch up per read changes the work per request. Two counts of
 * aire's in one hour gave 102,564 and 151,874. Compare several counts, not one.
 * Takes about 20 minutes; needs valgrind (Debian's package), and says so without it.
 */
import { spawn, spawnSync } from "node:child_process";
import { startProcess } from "./process.js";

function collected(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("valgrind", ["--tool=callgrind", "--smc-check=all-non-file", "--callgrind-out-file=/dev/null", process.execPath, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => {
      const m = /Collected : (\d+)/.exec(err);
      code === 0 && m ? resolve(Number(m[1])) : reject(new Error(`valgrind ${args.join(" ")} exited with ${code}: ${err.slice(-500)}`));
    });
  });
}

export async function benchInstructions(): Promise<void> {
  if (spawnSync("valgrind", ["--version"]).status !== 0) {
    console.log("\ninstructions per request: skipped, valgrind is not installed (apt-get install valgrind)");
    return;
  }
  const upstream = await startProcess(["dist/bench/static-upstream.js"]);
  const per: Record<string, number> = {};
  // Both counts first send this many requests uncounted: without them the difference of the two
  // counts also held the JIT compiling each tool's request path, more of it for the tool with more
  // code (aire: ~140k instructions per request that way).
  const warm = 5000;
  try {
    for (const tool of ["aire", "autocannon", "undici"]) {
      const count = (n: number) => collected(["dist/bench/traffic-driver.js", "count", tool, upstream.url, String(n), String(warm)]);
      const [small, large] = [await count(2000), await count(12000)];
      per[tool] = Math.round((large - small) / 10_000);
    }
  } finally {
    await upstream.stop();
  }
  const n = (x: number) => x.toLocaleString("en-US");
  console.log("\ntraffic generator: user-space instructions per request (callgrind; closed loop, 64 connections, non-streaming, same upstream)");
  console.log(`  aire                  ${n(per.aire!).padStart(8)}`);
  console.log(`  autocannon            ${n(per.autocannon!).padStart(8)}`);
  console.log(`  bare undici dispatch  ${n(per.undici!).padStart(8)}  (the HTTP client aire is built on, measuring nothing)`);
  console.log(`  ratio aire / autocannon ${(per.aire! / per.autocannon!).toFixed(2)}; aire / bare undici ${(per.aire! / per.undici!).toFixed(2)}`);
}
