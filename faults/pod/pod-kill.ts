/**
 * `pod-kill`: SIGKILLs pods of a provider (a GPU node lost, an OOM kill): their in-flight streams
 * break; with `restart`, each comes back after its cold start; with `every`, it repeats until
 * the fault ends. The Undo stops the repeats and restarts any pod it left down.
 * @example
 * faults:
 *   - { kind: pod-kill, provider: primary, count: 1, restart: true, coldStart: 10s, every: 30s }
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction, identifier } from "../../harness/base/fields.js";
import { formatDuration } from "../../harness/base/units.js";
import { once, type FaultDefinition } from "../types.js";

const params = closed({
  kind: z.literal("pod-kill"),
  provider: identifier.meta({ description: "The synthetic provider it acts on (`target.reference.providers[].name`).", example: "primary" }),
  count: z.number().int().positive().optional().meta({ description: "How many of its pods to kill each time (default 1).", example: 1 }),
  percent: fraction.optional().meta({ description: "Or this share of its pods.", example: "50%" }),
  restart: z.boolean().default(true).meta({ description: "Start a killed pod again (it loads its model for `coldStart` first); false: it stays down until the fault is rolled back.", example: false }),
  coldStart: duration.optional().meta({ description: "Model load time of a restarted pod (default: the provider's coldStart).", example: "10s" }),
  every: duration.optional().meta({ description: "Kill again this often while the fault is active.", example: "15s" }),
});

export const podKill: FaultDefinition<typeof params> = {
  kind: "pod-kill",
  params,
  describe: (p) =>
    `kill ${p.percent !== undefined ? `${Math.round(p.percent * 100)}% of the` : (p.count ?? 1)} pod(s) of provider "${p.provider}"` +
    (p.restart ? `, restarted${p.coldStart !== undefined ? ` with a ${formatDuration(p.coldStart)} cold start` : ""}` : ", not restarted") +
    (p.every !== undefined ? `, every ${formatDuration(p.every)}` : ""),
  inject: async (ctx, p) => {
    const admin = ctx.provider(p.provider);
    const down = new Set<number>();
    let next = 0;
    const killRound = async () => {
      const pods = await admin.pods();
      const ready = pods.filter((pod) => pod.ready && !down.has(pod.index));
      const n = Math.min(ready.length, p.percent !== undefined ? Math.max(1, Math.round(pods.length * p.percent)) : (p.count ?? 1));
      // Round-robin over the pods, so repeats do not always hit pod 0.
      const victims = [...ready.slice(next % Math.max(1, ready.length)), ...ready.slice(0, next % Math.max(1, ready.length))].slice(0, n);
      next += n;
      for (const pod of victims) {
        const { killedPid } = await admin.killPod(pod.index, p.restart, p.coldStart);
        if (!p.restart) down.add(pod.index);
        ctx.event("pod_kill", { provider: p.provider, pod: pod.index, pid: killedPid, restart: p.restart });
      }
    };
    await killRound();
    const timer = p.every !== undefined ? setInterval(() => void killRound().catch((err: unknown) => ctx.event("pod_kill_failed", { error: String(err) })), p.every) : undefined;
    const stop = () => clearInterval(timer);
    ctx.signal.addEventListener("abort", stop, { once: true });
    return once(async () => {
      stop();
      for (const index of down) await admin.killPod(index, true, 0);
      down.clear();
    });
  },
};
