/**
 * `npm run bench -- instructions`: the traffic generator's CPU cost per request as counted
 * instructions (valgrind's callgrind), next to autocannon's and bare undici's. Wall-clock and CPU
 * time on a shared VM move by 30% from one run to the next; instruction counts repeat to about 1%,
 * so this is the figure to judge a change to the request path by. Each generator runs 2,000 and
 * 12,000 requests (closed loop, 64 connections, the same non-streaming upstream); the difference,
 * divided by 10,000, is the cost of one request without the start-up. Counts user-space
 * instructions only: the kernel's share (the socket writes and reads) is the same for all three.
 * Takes about 10 minutes; needs valgrind (Debian's package), and says so without it.
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
  try {
    for (const tool of ["aire", "autocannon", "undici"]) {
      const [small, large] = [await collected(["dist/bench/traffic-driver.js", "count", tool, upstream.url, "2000"]), await collected(["dist/bench/traffic-driver.js", "count", tool, upstream.url, "12000"])];
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
