/**
 * `provider-down`: the provider's proxy is disabled (Toxiproxy `enabled: false`, how Toxiproxy
 * does "down"): live connections close, new ones are refused. Undo enables it again.
 * @example
 * faults:
 *   - { kind: provider-down, proxy: primary }
 * @module
 */
import { z } from "zod";
import { HarnessError } from "../../harness/base/errors.js";
import { closed, identifier } from "../../harness/base/fields.js";
import { once, type FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("provider-down"),
  proxy: identifier.meta({ description: "The proxy to disable: a reference-stack provider's name, or a proxy of `target.toxiproxy`.", example: "primary" }),
});

export const providerDown: FaultDefinition<typeof params> = {
  kind: "provider-down",
  params,
  describe: (p) => `provider "${p.proxy}" down (its proxy disabled: connections closed and refused)`,
  inject: async (ctx, p) => {
    const name = ctx.proxyName(p.proxy);
    const set = async (enabled: boolean, code: "FAULT_INJECT_FAILED" | "FAULT_UNDO_FAILED") => {
      try {
        const proxy = await ctx.toxiproxy.get(name);
        await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
      } catch (err) {
        throw new HarnessError(code, { message: `could not ${enabled ? "enable" : "disable"} proxy "${name}"`, cause: err });
      }
    };
    await set(false, "FAULT_INJECT_FAILED");
    return once(() => set(true, "FAULT_UNDO_FAILED"));
  },
};
