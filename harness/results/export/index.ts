/**
 * Export while running (issue 21), each opt-in by the scenario's `export:` section: aire's
 * client-side metrics by Prometheus remote write and by OTLP/HTTP, and the phases and faults as
 * Grafana annotations. A receiver that is slow, refuses or is down never stops or slows the run:
 * each export's sends and failures are counted, the first failure is said once, and the totals
 * go to events.jsonl (`export_end`) for the report.
 * @module
 */
import type { Sample } from "../../metrics/sample.js";
import type { Scenario } from "../../scenario/schema.js";
import { sampleAttributes, type RunAttributes } from "./genai-metrics.js";
import { GrafanaAnnotations } from "./grafana.js";
import type { OtlpExport } from "./otlp.js";
import { CumulativeHistograms, pushRemoteWrite, warmRemoteWrite } from "./remote-write.js";

export type ExportSpec = NonNullable<Scenario["export"]>;

/** How one export went, as the report says it. */
export interface ExportResult {
  kind: "prometheus" | "otlp" | "grafana";
  url: string;
  /** Sends that the receiver took (pushes, export batches, annotation calls). */
  sent: number;
  failed: number;
  firstError?: string;
}

export interface ExportContext {
  run: RunAttributes;
  /** The faults active at a time on the samples' clock, by name, joined by "," ("" for none). */
  faultAt(t: number): string;
  /** A warning line for the terminal. */
  warn(line: string): void;
  env?: NodeJS.ProcessEnv;
}

/** The environment variables the exports name and the environment lacks. */
export function missingExportEnv(spec: ExportSpec | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!spec) return [];
  const names = [...Object.values(spec.prometheus?.headersFromEnv ?? {}), ...Object.values(spec.otlp?.headersFromEnv ?? {}), ...(spec.grafana ? [spec.grafana.tokenEnv] : [])];
  return names.filter((n) => env[n] === undefined || env[n] === "");
}

const headersOf = (map: Record<string, string>, env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(map).map(([h, v]) => [h, env[v] ?? ""]));

export class RunExports {
  readonly #results = new Map<ExportResult["kind"], ExportResult>();
  readonly #histograms?: CumulativeHistograms;
  #timer?: NodeJS.Timeout;
  #pushing?: Promise<void>;
  #otlp?: OtlpExport;
  #grafana?: GrafanaAnnotations;

  private constructor(readonly spec: ExportSpec, readonly ctx: ExportContext) {
    if (spec.prometheus) this.#histograms = new CumulativeHistograms();
  }

  static async start(spec: ExportSpec, ctx: ExportContext): Promise<RunExports> {
    const env = ctx.env ?? process.env;
    const e = new RunExports(spec, ctx);
    if (spec.prometheus) {
      e.#results.set("prometheus", { kind: "prometheus", url: spec.prometheus.url, sent: 0, failed: 0 });
      await warmRemoteWrite();
    }
    if (spec.otlp) {
      const result: ExportResult = { kind: "otlp", url: spec.otlp.url, sent: 0, failed: 0 };
      e.#results.set("otlp", result);
      const { startOtlp } = await import("./otlp.js");
      e.#otlp = await startOtlp(spec.otlp.url, headersOf(spec.otlp.headersFromEnv, env), spec.otlp.interval, { "aire.run_id": ctx.run.runId, "aire.scenario": ctx.run.scenario }, (message) => e.#failed("otlp", message), () => result.sent++);
    }
    if (spec.grafana) {
      e.#results.set("grafana", { kind: "grafana", url: spec.grafana.url, sent: 0, failed: 0 });
      e.#grafana = new GrafanaAnnotations({ url: spec.grafana.url, token: env[spec.grafana.tokenEnv] ?? "", ...(spec.grafana.dashboardUid ? { dashboardUid: spec.grafana.dashboardUid } : {}), tags: spec.grafana.tags, timeoutMs: 5000 }, (message) => e.#failed("grafana", message), () => e.#results.get("grafana")!.sent++);
    }
    // The push timer last: an export that fails to start leaves nothing running.
    if (spec.prometheus) {
      e.#timer = setInterval(() => void e.#push(), spec.prometheus.interval);
      e.#timer.unref();
    }
    return e;
  }

  #failed(kind: ExportResult["kind"], message: string): void {
    const r = this.#results.get(kind)!;
    r.failed++;
    if (r.firstError === undefined) {
      r.firstError = message;
      this.ctx.warn(`warning: export ${kind}: ${message} (the run goes on; failures are counted in the report)`);
    }
  }

  #push(): Promise<void> {
    if (this.#pushing || !this.spec.prometheus) return this.#pushing ?? Promise.resolve();
    const spec = this.spec.prometheus;
    const r = this.#results.get("prometheus")!;
    this.#pushing = pushRemoteWrite(spec.url, this.#histograms!, headersOf(spec.headersFromEnv, this.ctx.env ?? process.env), Math.min(spec.interval, 10_000))
      .then(
        // A push with nothing recorded yet sends nothing, and is not counted.
        (series) => void (series > 0 && r.sent++),
        (err: unknown) => this.#failed("prometheus", (err as Error).message),
      )
      .finally(() => (this.#pushing = undefined));
    return this.#pushing;
  }

  /** One request's measurements, with the fault that was active when it was due. */
  onSample(sample: Sample): void {
    if (!this.#histograms && !this.#otlp) return;
    const attributes = sampleAttributes(this.ctx.run, sample, this.ctx.faultAt(sample.scheduledAt));
    this.#histograms?.record(attributes, (m) => m.values(sample));
    this.#otlp?.record(sample, attributes);
  }

  phaseStart(name: string): void {
    this.#grafana?.start(`phase:${name}`, "phase", `aire ${this.ctx.run.scenario}: phase ${name} (run ${this.ctx.run.runId})`, Date.now(), [this.ctx.run.scenario, this.ctx.run.runId]);
  }

  phaseEnd(name: string): void {
    this.#grafana?.end(`phase:${name}`, Date.now());
  }

  faultOn(name: string, description: string): void {
    this.#grafana?.start(`fault:${name}`, "fault", `aire ${this.ctx.run.scenario}: fault ${description} (run ${this.ctx.run.runId})`, Date.now(), [this.ctx.run.scenario, this.ctx.run.runId]);
  }

  faultOff(name: string): void {
    this.#grafana?.end(`fault:${name}`, Date.now());
  }

  /** Stops the timers, sends what is left, and says how each export went. */
  async close(): Promise<ExportResult[]> {
    clearInterval(this.#timer);
    if (this.spec.prometheus) {
      await this.#pushing;
      await this.#push();
    }
    await this.#otlp?.close();
    await this.#grafana?.close(Date.now());
    return [...this.#results.values()];
  }
}
