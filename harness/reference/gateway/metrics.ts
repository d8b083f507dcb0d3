/**
 * The gateway's Prometheus metrics (prom-client, one registry per gateway). The request-level
 * histograms carry OpenTelemetry GenAI client names and buckets, as Envoy AI Gateway exports them;
 * the policy metrics (`aire_gateway_*`) show what each resilience policy did, per provider.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { breakerStateValue, type BreakerState } from "./policy/breaker.js";

const durationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export type AttemptResult = "ok" | "http_4xx" | "http_429" | "http_5xx" | "connect" | "ttft_timeout" | "idle_timeout" | "stream_broken" | "aborted";

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly duration: Histogram<"gen_ai_operation_name" | "gen_ai_request_model" | "gen_ai_provider_name" | "error_type">;
  readonly tokens: Histogram<"gen_ai_operation_name" | "gen_ai_request_model" | "gen_ai_provider_name" | "gen_ai_token_type">;
  readonly firstChunk: Histogram<"gen_ai_operation_name" | "gen_ai_request_model" | "gen_ai_provider_name">;
  readonly requests: Counter<"model" | "status">;
  readonly attempts: Counter<"provider" | "result">;
  readonly retries: Counter<"provider" | "kind">;
  readonly budgetExhausted: Counter;
  readonly breakerTransitions: Counter<"provider" | "from" | "to">;
  readonly shed: Counter<"reason">;
  readonly rateLimited: Counter<"tenant" | "limit">;
  readonly streamErrors: Counter<"provider" | "reason">;
  readonly breakerOpenRefused: Counter<"provider">;
  readonly #breakerState: Gauge<"provider">;
  readonly #providerInFlight: Gauge<"provider">;

  constructor(read: { inFlight: () => number; queued: () => number; providerInFlight: (p: string) => number; breakerState: (p: string) => BreakerState | undefined; providers: readonly string[] }) {
    const registers = [this.registry];
    const genAi = ["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name"] as const;
    this.duration = new Histogram({ name: "gen_ai_client_operation_duration_seconds", help: "GenAI operation duration seen by the gateway's clients (OpenTelemetry gen_ai.client.operation.duration).", labelNames: [...genAi, "error_type"], buckets: durationBuckets, registers });
    this.tokens = new Histogram({ name: "gen_ai_client_token_usage", help: "Tokens per operation by type (OpenTelemetry gen_ai.client.token.usage).", labelNames: [...genAi, "gen_ai_token_type"], buckets: tokenBuckets, registers });
    this.firstChunk = new Histogram({ name: "gen_ai_client_operation_time_to_first_chunk_seconds", help: "Time to the first content chunk of a streamed operation (OpenTelemetry gen_ai.client.operation.time_to_first_chunk).", labelNames: genAi, buckets: durationBuckets, registers });
    this.requests = new Counter({ name: "aire_gateway_requests_total", help: "Chat requests answered, by model and status.", labelNames: ["model", "status"], registers });
    this.attempts = new Counter({ name: "aire_gateway_upstream_attempts_total", help: "Upstream attempts by provider and result.", labelNames: ["provider", "result"], registers });
    this.retries = new Counter({ name: "aire_gateway_retries_total", help: "Attempts after a request's first, by provider tried and kind (fallback to another provider, or retry of one already tried).", labelNames: ["provider", "kind"], registers });
    this.budgetExhausted = new Counter({ name: "aire_gateway_retry_budget_exhausted_total", help: "Retries not made because the retry budget was spent.", registers });
    this.breakerTransitions = new Counter({ name: "aire_gateway_breaker_transitions_total", help: "Circuit breaker state changes by provider.", labelNames: ["provider", "from", "to"], registers });
    this.shed = new Counter({ name: "aire_gateway_shed_total", help: "Requests refused by the concurrency limit (queue full or queue timeout).", labelNames: ["reason"], registers });
    this.rateLimited = new Counter({ name: "aire_gateway_rate_limited_total", help: "Requests refused by a client rate limit, by tenant and limit.", labelNames: ["tenant", "limit"], registers });
    this.breakerOpenRefused = new Counter({ name: "aire_gateway_breaker_open_refused_total", help: "Breaker trips not carried out because maxOpen of the providers were open already (max ejection).", labelNames: ["provider"], registers });
    this.streamErrors = new Counter({ name: "aire_gateway_stream_errors_total", help: "Streams that ended with an SSE error event after tokens were sent.", labelNames: ["provider", "reason"], registers });
    this.#breakerState = new Gauge({
      name: "aire_gateway_breaker_state",
      help: "Circuit breaker state by provider: 0 closed, 1 half-open, 2 open.",
      labelNames: ["provider"],
      registers,
      collect: () => {
        for (const p of read.providers) {
          const state = read.breakerState(p);
          if (state) this.#breakerState.set({ provider: p }, breakerStateValue[state]);
        }
      },
    });
    this.#providerInFlight = new Gauge({
      name: "aire_gateway_upstream_in_flight",
      help: "Upstream attempts in flight by provider.",
      labelNames: ["provider"],
      registers,
      collect: () => {
        for (const p of read.providers) this.#providerInFlight.set({ provider: p }, read.providerInFlight(p));
      },
    });
    new Gauge({ name: "aire_gateway_in_flight", help: "Chat requests being served.", registers, collect() { this.set(read.inFlight()); } });
    new Gauge({ name: "aire_gateway_queued", help: "Chat requests waiting for the concurrency limit.", registers, collect() { this.set(read.queued()); } });
  }

  /**
   * Adds the process's own health (event-loop lag since the last scrape, CPU, memory), as the
   * providers export theirs: a run reads the lag to tell a gateway the machine starved from a slow
   * design. Once per process (`aire serve gateway`); a 10 ms resolution keeps the sampler off the
   * request path.
   */
  exportProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }
}
