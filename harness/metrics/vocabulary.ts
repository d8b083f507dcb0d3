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
