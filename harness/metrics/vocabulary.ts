/**
 * The words of measurement shared by every layer: the per-request latencies, the classes a failed
 * request falls in, and the statistics over a distribution. The assertion language (slo/) and the
 * samples (metrics/) both speak them.
 * @module
 */

/** `e2e_any` is e2e over every request, failed ones included: how long users waited for an outcome. */
export const latencyMetrics = ["ttft", "ttfb", "e2e", "tpot", "itl", "max_stall", "e2e_any"] as const;
export const ratioMetrics = ["availability", "error_rate"] as const;
export const errorClasses = ["http_4xx", "http_429", "http_5xx", "timeout", "connect", "reset", "truncated", "malformed", "quality", "unanswered"] as const;
export const stats = ["p50", "p75", "p90", "p95", "p99", "p999", "mean", "min", "max"] as const;
export type LatencyMetric = (typeof latencyMetrics)[number];
export type ErrorClass = (typeof errorClasses)[number];
export type Stat = (typeof stats)[number];

/** What each metric measures, per request, from its intended send time (docs/metrics.md says how). */
export const metricDefinitions: Record<LatencyMetric | (typeof ratioMetrics)[number], string> = {
  ttft: "first chunk with non-empty delta.content (or reasoning_content) − intended send (not streamed: the whole answer)",
  ttfb: "response headers of the last attempt − intended send",
  e2e: "end of the response − intended send",
  tpot: "(e2e − ttft) / (output tokens − 1), streamed answers of 2 tokens or more",
  itl: "every gap between content chunks, pooled over the window's requests",
  max_stall: "the largest gap between content chunks of one request",
  e2e_any: "e2e of every request, failed ones included: when the answer or the error reached the user",
  availability: "complete successes / requests: a 2xx whose stream ended with a finish_reason and [DONE], whose chunks parse and whose answer passed its quality checks",
  error_rate: "failed requests / requests, of one class with {class=…}",
};

/** What puts a failed request in each class. */
export const errorClassDefinitions: Record<ErrorClass, string> = {
  http_4xx: "an HTTP 4xx other than 429 (bad request, context too long, authentication)",
  http_429: "an HTTP 429: rate limited",
  http_5xx: "an HTTP 5xx",
  timeout: "no complete answer within the client timeout, or abandoned: no first token within abandonAfterTtft",
  connect: "no connection: refused, unreachable, unknown host or connect timeout",
  reset: "the connection broke before the response ended",
  truncated: "a 200 whose stream ended without [DONE] or a finish_reason, or carried an error event",
  malformed: "a 200 whose body or stream chunk is not valid JSON, or has no choices[0].message.content",
  quality: "a complete answer that failed its workload's check: canary nonce missing, JSON not matching its schema, output length out of bounds",
  unanswered: "still open when the run's drain ended; scored in the window it was sent in",
};
