#!/usr/bin/env node
/**
 * The `aire` command line's entry. It installs the SIGINT/SIGTERM listener before anything else
 * loads, then loads the program (cli/program.ts): a static import graph would be read and parsed
 * whole before the listener existed, and an interrupt in that window (about 0.2 s on a quiet
 * machine, longer on a loaded one) would kill the process without its exit code.
 * @module
 */
import "./base/early-signals.js";

const { main } = await import("./cli/program.js");
process.exitCode = await main(process.argv);
