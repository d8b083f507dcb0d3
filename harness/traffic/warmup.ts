/**
 * Warm-up before the timeline: a few unscored requests through the whole path (connections
 * opened, code paths compiled in every process), so the first measured requests are not the
 * harness's own cold start.
 * @module
 */
import { request } from "undici";
import type { TrafficSection } from "./schema.js";
import { apiPath } from "./generator.js";

export interface WarmupResult {
  requests: number;
  ok: number;
  ms: number;
  /** The first request that did not get a 200, described (`HTTP 404: …`, or the network error). */
  firstFailure?: string;
  /**
   * Requests the gateway answered after more than one upstream attempt (its `x-aire-attempts`, as
   * the reference gateway says; 0 where the gateway does not say). Each is an upstream failure the
   * warm-up caused: a breaker it opened or a latency estimate it raised is still there when the
   * timeline starts.
   */
  retried: number;
}

/**
 * The warm-up's question: short, and an ordinary prompt. (It used to ask "reply with exactly: ok",
 * which the synthetic providers answer with the nonce cut by the o200k tokenizer: every pod then
 * built its tokenizer, a third of a second of CPU, on the warm-up's first request, and on two
 * cores the first round missed a 400 ms TTFT timeout and opened the primary's breaker before the
 * timeline started.)
 */
export const WARMUP_PROMPT = "Warm-up request: answer in a few words.";

/**
 * Sends `rounds` rounds of `concurrency` requests at once: concurrent, so the gateway opens several
 * connections to each provider and the providers reach several pods (one request at a time would
 * warm one path only, and the first burst of the run would pay for the rest).
 */
export async function warmUp(baseUrl: string, traffic: TrafficSection, signal: AbortSignal, apiKey?: string, rounds = 2, concurrency = 8): Promise<WarmupResult> {
  const started = performance.now();
  const workload = traffic.mix[0]!;
  const body = JSON.stringify({ model: traffic.model, messages: [{ role: "user", content: WARMUP_PROMPT }], max_tokens: 4, stream: workload.stream });
  // The same path the traffic uses: a base URL given with or without its /v1.
  const url = new URL(`${apiPath(baseUrl)}/chat/completions`, baseUrl).href;
  let ok = 0;
  let sent = 0;
  let retried = 0;
  let firstFailure: string | undefined;
  const one = async () => {
    sent++;
    try {
      const res = await request(url, { method: "POST", headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) }, body, signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) });
      const text = res.statusCode === 200 ? (await res.body.dump(), "") : (await res.body.text()).slice(0, 200);
      if (Number(res.headers["x-aire-attempts"]) > 1) retried++;
      if (res.statusCode === 200) ok++;
      else firstFailure ??= `HTTP ${res.statusCode} from POST ${url}${text ? `: ${text.replace(/\s+/g, " ").trim()}` : ""}`;
    } catch (err) {
      // A failing warm-up is not fatal (the run measures the failures), but it is reported.
      if (!signal.aborted) firstFailure ??= `POST ${url}: ${(err as Error).message}`;
    }
  };
  for (let round = 0; round < rounds && !signal.aborted; round++) await Promise.all(Array.from({ length: concurrency }, one));
  return { requests: sent, ok, retried, ms: Math.round(performance.now() - started), ...(firstFailure ? { firstFailure } : {}) };
}
