/**
 * Adds a named toxic through `toxiproxy-node-client` and returns its idempotent Undo.
 * Shared by every network fault.
 * @module
 */
import type { ToxicAttributeTypes, ToxicType } from "toxiproxy-node-client";
import { z } from "zod";
import { HarnessError } from "../../harness/base/errors.js";
import { fraction, identifier } from "../../harness/base/fields.js";
import { once, type FaultContext, type Undo } from "../types.js";

export interface ToxicSpec<T> {
  type: ToxicType;
  stream: "upstream" | "downstream";
  toxicity: number;
  attributes: T;
}

export async function addToxic<T extends ToxicAttributeTypes>(ctx: FaultContext, provider: string, spec: ToxicSpec<T>): Promise<Undo> {
  const proxyName = ctx.proxyName(provider);
  let toxic;
  try {
    const proxy = await ctx.toxiproxy.get(proxyName);
    toxic = await proxy.addToxic<T>({ name: ctx.faultName, ...spec });
  } catch (err) {
    throw new HarnessError("FAULT_INJECT_FAILED", { message: `could not add ${spec.type} toxic "${ctx.faultName}" to proxy "${proxyName}"`, cause: err });
  }
  const url = `${ctx.toxiproxy.host.replace(/\/$/, "")}/proxies/${encodeURIComponent(proxyName)}/toxics/${encodeURIComponent(ctx.faultName)}`;
  const undo: Undo = once(async () => {
    try {
      await toxic.remove();
    } catch (err) {
      // A toxic that is already gone (404) is what we wanted; anything else is a failed rollback.
      if (err instanceof Error && /status code 404/.test(err.message)) return;
      throw new HarnessError("FAULT_UNDO_FAILED", { message: `could not remove toxic "${ctx.faultName}" from proxy "${proxyName}"`, cause: err });
    }
  });
  // Still there? Only a 404 says no: a Toxiproxy that does not answer proves nothing either way.
  undo.present = async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    await res?.body?.cancel();
    return res?.status !== 404;
  };
  return undo;
}

/** "downstream traffic of provider "primary" (30% of connections)" */
export function toxicTarget(p: { proxy: string; stream: string; toxicity: number }): string {
  return `${p.stream} traffic of provider "${p.proxy}"${p.toxicity < 1 ? ` (${Math.round(p.toxicity * 100)}% of connections)` : ""}`;
}

/** The params every network fault shares: which provider's proxy, which direction, what share of connections. */
export const toxicTargetShape = {
  proxy: identifier.meta({ description: "The proxy that gets the toxic: a reference-stack provider's name, or a proxy of `target.toxiproxy`.", example: "primary" }),
  stream: z.enum(["upstream", "downstream"]).default("downstream").meta({ description: "The direction: `downstream` (provider to gateway: the answers) or `upstream` (gateway to provider: the requests).", example: "upstream" }),
  toxicity: fraction.prefault(1).meta({ description: "The share of connections the toxic acts on.", example: "50%" }),
};
