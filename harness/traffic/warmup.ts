/**
 * Warm-up before the timeline: a few unscored requests through the whole path (connections
 * opened, code paths compiled in every process), so the first measured requests are not the
 * harness's own cold start.
 * @module
 */
import { request } from "undici";
import type { Scenario } from "../scenario/schema.js";

export interface WarmupResult {
  requests: number;
  ok: number;
  ms: number;
}

/**
 * Sends `rounds` rounds of `concurrency` requests at once: concurrent, so the gateway opens several
 * connections to each provider and the providers reach several pods (one request at a time would
 * warm one path only, and the first burst of the run would pay for the rest).
 */
export async function warmUp(baseUrl: string, traffic: Scenario["traffic"], signal: AbortSignal, apiKey?: string, rounds = 2, concurrency = 8): Promise<WarmupResult> {
  const started = performance.now();
  const workload = traffic.mix[0]!;
  const body = JSON.stringify({ model: traffic.model, messages: [{ role: "user", content: "warm up: reply with exactly: ok" }], max_tokens: 4, stream: workload.stream });
  let ok = 0;
  let sent = 0;
  const one = async () => {
    sent++;
    try {
      const res = await request(`${baseUrl}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) }, body, signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) });
      await res.body.dump();
      if (res.statusCode === 200) ok++;
    } catch {
      // A failing warm-up request is reported in the event, not fatal: the run will measure the failures.
    }
  };
  for (let round = 0; round < rounds && !signal.aborted; round++) await Promise.all(Array.from({ length: concurrency }, one));
  return { requests: sent, ok, ms: Math.round(performance.now() - started) };
}
