/**
 * k6 `--out json` files written from the format in ../shared/reference/k6.md (k6 v0.48): a Metric
 * line before each metric's first Point; per request the http_req_* points with one timestamp
 * (when the response was processed) and k6's tags; `vus` and `iterations` noise; optionally
 * aire's per-request metadata `rid` with custom points written a little later.
 */
import { writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";

export interface FixtureRequest {
  /** ms after the test start at which the request was sent. */
  startMs: number;
  durationMs: number;
  status: number;
  /** The runner (k6-operator instance_id, 1-based) that sent it. */
  runner: number;
  ttftMs?: number;
}

const T0 = Date.parse("2026-11-23T10:00:00Z");

/** RFC3339Nano with a +01:00 offset, as k6 writes local time. */
function stamp(ms: number): string {
  const local = new Date(ms + 3_600_000).toISOString().replace("Z", "");
  const [whole, frac = "000"] = local.split(".");
  const nanos = `${frac}${String(Math.round((ms % 1) * 1e6)).padStart(6, "0")}`.slice(0, 9);
  return `${whole}.${nanos}+01:00`;
}

const metricTypes: Record<string, [string, string]> = {
  http_reqs: ["counter", "default"],
  http_req_duration: ["trend", "time"],
  http_req_blocked: ["trend", "time"],
  http_req_connecting: ["trend", "time"],
  http_req_tls_handshaking: ["trend", "time"],
  http_req_sending: ["trend", "time"],
  http_req_waiting: ["trend", "time"],
  http_req_receiving: ["trend", "time"],
  http_req_failed: ["rate", "default"],
  iterations: ["counter", "default"],
  vus: ["gauge", "default"],
  aire_ttft: ["trend", "time"],
  aire_ok: ["rate", "default"],
};

/** The NDJSON one runner writes for its requests. */
export interface FixtureOptions {
  runnerTag: boolean;
  rid: boolean;
  /** Only http_reqs, http_req_duration and http_req_failed with two tags: a long run's file at a bearable size. */
  minimal?: boolean;
}

export function k6Ndjson(requests: readonly FixtureRequest[], options: FixtureOptions): string {
  const declared = new Set<string>();
  const lines: string[] = [];
  const point = (metric: string, ms: number, value: number, tags: Record<string, string>, metadata?: Record<string, string>) => {
    if (!declared.has(metric)) {
      declared.add(metric);
      const [type, contains] = metricTypes[metric]!;
      lines.push(JSON.stringify({ type: "Metric", data: { name: metric, type, contains, thresholds: [], submetrics: null }, metric }));
    }
    lines.push(JSON.stringify({ metric, type: "Point", data: { time: stamp(ms), value, tags, ...(metadata ? { metadata } : {}) } }));
  };
  point("vus", T0, 10, {});
  for (const [i, r] of requests.entries()) {
    const end = T0 + r.startMs + r.durationMs;
    // k6-operator's --tag instance_id=<i> --tag testrun_name=<name> land on every point of the runner.
    const runnerTags: Record<string, string> = options.runnerTag ? { instance_id: String(r.runner), testrun_name: "llm-chaos" } : {};
    const tags: Record<string, string> = options.minimal ? { name: "chat_completions", status: String(r.status) } : { expected_response: String(r.status >= 200 && r.status < 400), group: "", method: "POST", name: "chat_completions", proto: "HTTP/1.1", scenario: "chat", status: String(r.status), url: "chat_completions", ...runnerTags };
    const metadata = options.rid ? { rid: `${r.runner}-${i}` } : undefined;
    const waiting = Math.max(0, r.durationMs - 1.5);
    const all = [["http_reqs", 1], ["http_req_duration", r.durationMs], ["http_req_blocked", 0.004], ["http_req_connecting", 0], ["http_req_tls_handshaking", 0], ["http_req_sending", 0.05], ["http_req_waiting", waiting], ["http_req_receiving", r.durationMs - waiting], ["http_req_failed", r.status >= 400 ? 1 : 0]] as const;
    for (const [metric, value] of options.minimal ? all.filter(([m]) => m === "http_reqs" || m === "http_req_duration" || m === "http_req_failed") : all) {
      point(metric, end, value, tags, metadata);
    }
    // aire's scripts add their own per-request metrics after the response: a later timestamp, the same rid.
    if (options.rid && r.ttftMs !== undefined) point("aire_ttft", end + 0.3, r.ttftMs, { group: "", scenario: "chat", ...runnerTags }, metadata);
    if (!options.minimal) point("iterations", end + 0.4, 1, { group: "", scenario: "chat", ...runnerTags });
  }
  return `${lines.join("\n")}\n`;
}

export async function writeK6File(path: string, requests: readonly FixtureRequest[], options: FixtureOptions): Promise<void> {
  const text = k6Ndjson(requests, options);
  await writeFile(path, path.endsWith(".gz") ? gzipSync(text) : text);
}
