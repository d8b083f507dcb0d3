/** How a fault is reverted: the `Undo` every fault returns, and `once` to make it idempotent. @module */

/**
 * Reverts one injected fault. Idempotent: calling it twice is safe and the second call does nothing.
 * `present`, where the fault can tell, says whether it is still in place: a toxic on a shared
 * Toxiproxy can be removed by someone else while the run believes it active.
 */
export type Undo = (() => Promise<void>) & { present?: () => Promise<boolean> };

/** Wraps an undo so that only the first call acts and later calls return the same promise. */
export function once(undo: Undo): Undo {
  let done: Promise<void> | undefined;
  const wrapped: Undo = () => (done ??= undo());
  if (undo.present) wrapped.present = undo.present;
  return wrapped;
}
