/**
 * SIGINT/SIGTERM, and a crash anywhere in the process, turned into an abort of the run: faults are
 * rolled back and the stack stopped before the process exits.
 * @module
 */
import { describeError } from "../base/errors.js";
import { earlyInterrupt, onInterrupt } from "../base/early-signals.js";

export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  if (earlyInterrupt.signal.aborted) {
    process.stderr.write(`aire: ${String(earlyInterrupt.signal.reason)} received while starting — nothing was started\n`);
    controller.abort(earlyInterrupt.signal.reason);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`aire: ${signal} again — still rolling back; wait, or send SIGKILL to abandon cleanup\n`);
      return;
    }
    process.stderr.write(`aire: ${signal} received — rolling back faults and stopping the stack\n`);
    controller.abort(signal);
  };
  onInterrupt(onSignal);
  // A bug anywhere in this process must still roll faults back and stop the stack: abort the run
  // with the error (exit 3) instead of dying with toxics left in place.
  const onCrash = (err: unknown) => {
    process.stderr.write(`aire: internal error: ${describeError(err)} — rolling back\n`);
    if (!controller.signal.aborted) controller.abort(err instanceof Error ? err : new Error(String(err)));
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  // Self-test hook for the test suite: crash the harness from a timer after N ms of a run.
  const crashAfter = Number(process.env.AIRE_SELFTEST_CRASH_MS);
  if (crashAfter > 0) {
    setTimeout(() => {
      // A plain Error on purpose: the self-test imitates a bug, which no catalogue code describes.
      // eslint-disable-next-line no-restricted-syntax
      throw new Error("self-test crash (AIRE_SELFTEST_CRASH_MS)");
    }, crashAfter).unref();
  }
  return controller.signal;
}
