/** An abortable sleep, and a timer that never fires early. @module */

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: Pick<AbortSignal, "aborted" | "reason" | "addEventListener" | "removeEventListener">): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls `fn` at `deadline` (performance.now() time), never before: Node's timers run on the event
 * loop's cached millisecond clock and can fire up to a millisecond early, so it re-arms until due.
 */
export function at(deadline: number, fn: () => void): { clear(): void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = deadline - performance.now();
    if (wait <= 0) return fn();
    timer = setTimeout(arm, Math.max(1, wait));
  };
  timer = setTimeout(arm, Math.max(0, deadline - performance.now()));
  return { clear: () => clearTimeout(timer) };
}
