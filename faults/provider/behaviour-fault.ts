/**
 * Provider faults set behaviours on a synthetic provider through its admin API, each named
 * `<fault name>-<n>` so a sweep can find what a killed run left behind.
 * @module
 */
import type { BehaviourSpec } from "../../harness/reference/providers/behaviours.js";
import { once, type FaultContext, type Undo } from "../types.js";

export async function setBehaviours(ctx: FaultContext, provider: string, specs: readonly BehaviourSpec[]): Promise<Undo> {
  const admin = ctx.provider(provider);
  const undos: Undo[] = [];
  try {
    for (const [i, spec] of specs.entries()) undos.push(await admin.setBehaviour(`${ctx.faultName}-${i}`, spec));
  } catch (err) {
    // Leave nothing half-applied.
    for (const undo of undos.reverse()) await undo().catch(() => {});
    throw err;
  }
  return once(async () => {
    for (const undo of [...undos].reverse()) await undo();
  });
}

/** "(30% of requests)" or "" */
export function share(fraction: number): string {
  return fraction < 1 ? ` (${Math.round(fraction * 100)}% of requests)` : "";
}
