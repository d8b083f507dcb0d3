/**
 * Prometheus metrics of the synthetic provider, with vLLM's names (so dashboards built for vLLM
 * work) and OpenTelemetry GenAI server names (`gen_ai_server_*`, seconds, the spec's buckets).
 * Each pod keeps its own registry; the front sums its pods' with prom-client's AggregatorRegistry.
 * @module
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PodEngine } from "./engine.js";

const latencyBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const tpotBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
const durationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

export class PodMetrics {
  readonly registry = new Registry();
  readonly #labels: { model_name: string };
  readonly #ttft: Histogram[];
  readonly #tpot: Histogram[];
  readonly #e2e: Histogram[];
  readonly #promptTokens: Counter;
  readonly #generationTokens: Counter;
  readonly #success: Counter;

  constructor(model: string, engine: PodEngine) {
    this.#labels = { model_name: model };
    const registers = [this.registry];
    const labelNames = ["model_name"] as const;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, labelNames, registers, collect() { this.set({ model_name: model }, read()); } });
    gauge("vllm:num_requests_running", "Sequences decoding on the GPU now.", () => engine.running);
    gauge("vllm:num_requests_waiting", "Requests queued for a slot.", () => engine.waiting);
    gauge("vllm:gpu_cache_usage_perc", "Share of the pod's slots in use (0..1); slot loss counts as used.", () => (engine.config.slots === 0 ? 0 : Math.min(1, (engine.running + (engine.config.slots - engine.capacity)) / engine.config.slots)));
    gauge("aire_provider_slots", "Usable slots of the pod (after slot loss).", () => engine.capacity);
    const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames, buckets, registers });
    this.#ttft = [histogram("vllm:time_to_first_token_seconds", "Time to first token.", latencyBuckets), histogram("gen_ai_server_time_to_first_token", "Time to first token (OpenTelemetry GenAI), seconds.", latencyBuckets)];
    this.#tpot = [histogram("vllm:time_per_output_token_seconds", "Time per output token after the first.", tpotBuckets), histogram("gen_ai_server_time_per_output_token", "Time per output token (OpenTelemetry GenAI), seconds.", tpotBuckets)];
    this.#e2e = [histogram("vllm:e2e_request_latency_seconds", "Request latency, arrival to last token.", durationBuckets), histogram("gen_ai_server_request_duration", "Request duration (OpenTelemetry GenAI), seconds.", durationBuckets)];
    this.#promptTokens = new Counter({ name: "vllm:prompt_tokens_total", help: "Prompt tokens processed.", labelNames, registers });
    this.#generationTokens = new Counter({ name: "vllm:generation_tokens_total", help: "Tokens generated.", labelNames, registers });
    this.#success = new Counter({ name: "vllm:request_success_total", help: "Requests finished, by finish reason.", labelNames: ["model_name", "finished_reason"], registers });
  }

  /** Records a finished answer (times in ms from arrival). */
  finished(ttftMs: number, e2eMs: number, promptTokens: number, outputTokens: number, reason: string): void {
    for (const h of this.#ttft) h.observe(this.#labels, ttftMs / 1000);
    for (const h of this.#e2e) h.observe(this.#labels, e2eMs / 1000);
    if (outputTokens > 1) for (const h of this.#tpot) h.observe(this.#labels, (e2eMs - ttftMs) / 1000 / (outputTokens - 1));
    this.#promptTokens.inc(this.#labels, promptTokens);
    this.#generationTokens.inc(this.#labels, outputTokens);
    this.#success.inc({ ...this.#labels, finished_reason: reason });
  }
}

export class FrontMetrics {
  readonly registry = new Registry();
  readonly requests: Counter;
  readonly rateLimited: Counter;
  readonly injected: Counter;

  constructor(readyPods: () => number) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "aire_provider_requests_total", help: "Chat completion requests received by the front, by answer status class.", labelNames: ["status"], registers });
    this.rateLimited = new Counter({ name: "aire_provider_rate_limited_total", help: "Requests refused with 429 by the per-key limits, by the limit hit.", labelNames: ["limit"], registers });
    this.injected = new Counter({ name: "aire_provider_injected_errors_total", help: "Errors injected by the admin API, by status.", labelNames: ["status"], registers });
    new Gauge({ name: "aire_provider_pods_ready", help: "Pods ready to serve.", registers, collect() { this.set(readyPods()); } });
    // Process metrics of the front (event-loop lag, CPU, memory): with pods: 0 the front is the pod.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1 });
  }
}

/** The front's exposition: its own metrics plus the sum of its pods'. */
export async function exposition(front: Registry, pods: readonly object[]): Promise<string> {
  const own = await front.metrics();
  if (pods.length === 0) return own;
  const summed = AggregatorRegistry.aggregate([...pods]);
  return `${own}\n${await summed.metrics()}`;
}
