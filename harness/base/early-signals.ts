/**
 * Imported first by the CLI, before any other module loads: the run, gameday, proof and capacity commands
 * take SIGINT and SIGTERM from their first moment. One listener stays for the life of the process
 * and hands each signal to the current handler: until the command installs its own, a signal is
 * kept (`earlyInterrupt`) and stops the command as soon as it can act on it (exit 130). (Replacing
 * the listener instead would drop a signal that arrived while modules loaded and that the event
 * loop had not yet delivered.)
 * @module
 */
export const earlyInterrupt = new AbortController();
let handler: (signal: NodeJS.Signals) => void = (signal) => earlyInterrupt.abort(signal);

/** Makes `fn` receive SIGINT and SIGTERM from now on. */
export function onInterrupt(fn: (signal: NodeJS.Signals) => void): void {
  handler = fn;
}

if (["run", "gameday", "proof", "capacity"].includes(process.argv[2] ?? "")) {
  process.on("SIGINT", (signal) => handler(signal));
  process.on("SIGTERM", (signal) => handler(signal));
}
