/**
 * aire's client-side metrics as the OpenTelemetry GenAI semantic conventions name them (the
 * client inference metrics: operation duration, time to first chunk, time per output chunk,
 * token usage), with their bucket boundaries, and the attributes each measurement carries: the
 * conventions' own and aire's run, scenario, phase and fault. One definition for both exports:
 * OTLP keeps the dotted names; Prometheus remote write uses the names OpenTelemetry's Prometheus
 * translation gives them (dots to underscores, `_seconds` for a unit of seconds).
 * @module
 */
import type { Sample } from "../../metrics/sample.js";

export interface GenAiHistogram {
  /** The OpenTelemetry name. */
  name: string;
  /** The Prometheus name (without `_bucket`, `_sum`, `_count`). */
  prometheus: string;
  unit: string;
  description: string;
  buckets: readonly number[];
  /** The values one request contributes, each with its extra attributes. */
  values(sample: Sample): { value: number; attributes?: Record<string, string> }[];
}

const durationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const firstChunkBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const chunkBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
const tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export const genAiHistograms: readonly GenAiHistogram[] = [
  {
    name: "gen_ai.client.operation.duration",
    prometheus: "gen_ai_client_operation_duration_seconds",
    unit: "s",
    description: "GenAI operation duration: from the intended send to the end of the answer or the error (every request).",
    buckets: durationBuckets,
    values: (s) => [{ value: s.e2e / 1000 }],
  },
  {
    name: "gen_ai.client.operation.time_to_first_chunk",
    prometheus: "gen_ai_client_operation_time_to_first_chunk_seconds",
    unit: "s",
    description: "Time to the first chunk with content, from the intended send (successful answers).",
    buckets: firstChunkBuckets,
    values: (s) => (s.ok && s.ttft !== undefined ? [{ value: s.ttft / 1000 }] : []),
  },
  {
    name: "gen_ai.client.operation.time_per_output_chunk",
    prometheus: "gen_ai_client_operation_time_per_output_chunk_seconds",
    unit: "s",
    description: "Time between content chunks, one measurement per chunk after the first (streamed answers).",
    buckets: chunkBuckets,
    values: (s) => (s.gaps ?? []).map((gap) => ({ value: gap / 1000 })),
  },
  {
    name: "gen_ai.client.token.usage",
    prometheus: "gen_ai_client_token_usage",
    unit: "{token}",
    description: "Input and output tokens of each answered request.",
    buckets: tokenBuckets,
    values: (s) => (s.status === 200 ? [...(s.promptTokens !== undefined ? [{ value: s.promptTokens, attributes: { "gen_ai.token.type": "input" } }] : []), { value: s.outputTokens, attributes: { "gen_ai.token.type": "output" } }] : []),
  },
];

/** What every measurement of a run carries besides the request's own attributes. */
export interface RunAttributes {
  runId: string;
  scenario: string;
  /** The model the requests name. */
  requestModel: string;
}

/** The attributes of one request's measurements (OpenTelemetry names); `fault` is what was active when it was due ("" for none). */
export function sampleAttributes(run: RunAttributes, sample: Sample, fault: string): Record<string, string> {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": run.requestModel,
    ...(sample.model ? { "gen_ai.response.model": sample.model } : {}),
    ...(sample.ok ? {} : { "error.type": sample.errorClass ?? "unknown" }),
    "aire.run_id": run.runId,
    "aire.scenario": run.scenario,
    "aire.phase": sample.phase,
    "aire.fault": fault,
    "aire.workload": sample.workload,
    ...(sample.tenant ? { "aire.tenant": sample.tenant } : {}),
    ...(sample.provider ? { "aire.provider": sample.provider } : {}),
  };
}

/** An OpenTelemetry attribute name as a Prometheus label: `gen_ai.request.model` → `gen_ai_request_model`. */
export const prometheusLabel = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, "_");
