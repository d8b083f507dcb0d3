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

export async function warmUp(baseUrl: string, traffic: Scenario["traffic"], signal: AbortSignal, apiKey?: string, count = 4): Promise<WarmupResult> {
  const started = performance.now();
  const workload = traffic.mix[0]!;
  const body = JSON.stringify({ model: traffic.model, messages: [{ role: "user", content: "warm up: reply with exactly: ok" }], max_tokens: 4, stream: workload.stream });
  let ok = 0;
  for (let i = 0; i < count && !signal.aborted; i++) {
    try {
      const res = await request(`${baseUrl}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) }, body, signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) });
      await res.body.dump();
      if (res.statusCode === 200) ok++;
    } catch {
      // A failing warm-up request is reported in the event, not fatal: the run will measure the failures.
    }
  }
  return { requests: count, ok, ms: Math.round(performance.now() - started) };
}
