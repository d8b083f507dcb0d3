/**
 * The scenario format (`apiVersion: aire/v1`): the single source of truth for its types.
 * Every field says what it is and gives an example (`.meta({ description, example })`):
 * scenario.schema.json (an editor's hover) and docs/reference/scenario-fields.md are generated from
 * them (`npm run generate`), and a test fails when a field has none or its example does not fit it.
 * @module
 */
import { z } from "zod";
import { faultSchema } from "../../faults/schema.js";
import { policyOverridesShape } from "../reference/gateway/config.js";
import { parseAssertion, probesOf, scopesOf } from "../slo/expression.js";
import { parseAbortCondition } from "../slo/abort-condition.js";
import type { WindowSpec } from "../slo/score.js";
import { formatDuration, parseDuration } from "../base/units.js";
import { isLoopbackHost } from "../base/net/http-server.js";
import { closed, crossCheck, duration, envName, identifier, positiveDuration, rate } from "../base/fields.js";
import { trafficSchema } from "../traffic/schema.js";
import { probesSchema } from "../probes/schema.js";

const providerSchema = closed({
  name: identifier.meta({ description: "The provider's name: faults (`provider:`, `proxy:`) and scoped assertions (`ttft.p95{provider=primary}`) use it.", example: "primary" }),
  model: z.string().min(1).default("sim-model").meta({ description: "The model id the provider serves and reports in its responses.", example: "sim-large" }),
  ttft: duration.prefault("80ms").meta({ description: "Time to first token of an idle pod, before the prompt's prefill is added.", example: "120ms" }),
  prefillTokensPerSec: z.number().positive().default(20_000).meta({ description: "Prefill speed in prompt tokens per second: a prompt adds its length divided by this to the time to first token.", example: 8000 }),
  decodeTokensPerSec: z.number().positive().max(10_000).default(50).meta({ description: "Decode speed of one sequence alone, output tokens per second; it falls as the pod's batch fills.", example: 60 }),
  pods: z.number().int().min(0).max(64).default(1).meta({ description: "GPU pods, each a process of its own behind the provider's front (pod-kill stops them); 0 serves inside the front.", example: 2 }),
  slotsPerPod: z.number().int().positive().max(4096).default(8).meta({ description: "Sequences a pod decodes at once (continuous batching); more wait in its queue.", example: 16 }),
  maxQueuePerPod: z.number().int().nonnegative().default(64).meta({ description: "Requests that may wait for a slot, per pod; past it they are refused with `queueFullStatus`.", example: 32 }),
  queueFullStatus: z.union([z.literal(503), z.literal(429)]).default(503).meta({ description: "The status of a request refused because every pod's queue is full.", example: 429 }),
  contextWindow: z.number().int().positive().default(128_000).meta({ description: "Tokens of prompt plus max_tokens a request may ask for; above it the answer is a 400 context_length_exceeded.", example: 32000 }),
  outputTokens: closed({
    median: z.number().positive().meta({ description: "Median answer length in tokens.", example: 200 }),
    p99: z.number().positive().meta({ description: "99th percentile of the answer length in tokens.", example: 800 }),
  }).prefault({ median: 200, p99: 800 }).meta({ description: "The natural answer length (lognormal), cut by the request's max_tokens.", example: { median: 120, p99: 600 } }),
  rateLimit: closed({
    rpm: z.number().positive().optional().meta({ description: "Requests per minute per API key; past it a 429 with retry-after.", example: 600 }),
    tpm: z.number().positive().optional().meta({ description: "Tokens (prompt plus max_tokens) per minute per API key; past it a 429 with retry-after.", example: 200000 }),
  }).prefault({}).meta({ description: "Per API key limits, as OpenAI applies them (none by default).", example: { rpm: 600 } }),
  coldStart: duration.prefault("5s").meta({ description: "Model load time of a restarted pod: it refuses requests (503, model loading) until then.", example: "10s" }),
}).meta({ description: "A synthetic GPU-backed provider: an OpenAI-compatible front, its pods, their speed, capacity and limits." });

const gatewaySchema = closed({
  profile: z.enum(["resilient", "naive"]).default("resilient").meta({ description: "`resilient`: timeouts, retries with a budget, a circuit breaker, fallback and load shedding; `naive`: the first provider only, nothing else. The keys beside it override the profile's policies.", example: "naive" }),
  ...policyOverridesShape,
}).meta({ description: "The reference gateway: a profile, and overrides of its policies." });

const toxiproxySchema = closed({
  backend: z.enum(["embedded", "container", "url"]).default("embedded").meta({ description: "`embedded`: aire's own Toxiproxy, in process; `container`: the real ghcr.io/shopify/toxiproxy image (needs Docker); `url`: a Toxiproxy that runs already.", example: "url" }),
  url: z.string().url().optional().meta({ description: "With backend url: its API address (loopback, or a host in `allow`).", example: "http://127.0.0.1:8474" }),
}).check(crossCheck((t, ctx) => {
  if (t.backend === "url" && !t.url) ctx.addIssue({ code: "custom", path: ["url"], message: "backend url needs url: http://127.0.0.1:8474 (where your Toxiproxy listens)" });
  if (t.backend !== "url" && t.url) ctx.addIssue({ code: "custom", path: ["url"], message: `url is only used with backend: url (backend is ${t.backend})` });
}));

const referenceTargetSchema = closed({
  gateway: gatewaySchema.prefault({}).meta({ description: "The reference gateway: its profile and policy overrides.", example: { profile: "resilient", timeouts: { ttft: "400ms" } } }),
  toxiproxy: toxiproxySchema.prefault({}).meta({ description: "The Toxiproxy between the gateway and each provider (one proxy per provider, named after it): network faults go there.", example: { backend: "embedded" } }),
  providers: z.array(providerSchema).min(1, "name at least one provider").meta({ description: "The synthetic providers, in the gateway's route order: the first is the primary.", example: [{ name: "primary", model: "sim-large", pods: 2 }, { name: "secondary", model: "sim-small" }] }),
});

const targetSchema = closed({
  reference: referenceTargetSchema.optional().meta({ description: "The bundled stack: synthetic providers behind the embedded Toxiproxy and the reference gateway, started and stopped by the run.", example: { providers: [{ name: "primary" }, { name: "secondary" }] } }),
  url: z.string().url().optional().meta({ description: "Or any OpenAI-compatible gateway a team runs: its base URL. A host that is not loopback must be in `allow`.", example: "http://127.0.0.1:8080/v1" }),
  apiKeyEnv: envName.optional().meta({ description: "With url: the environment variable that holds the API key, sent as a Bearer token; the key is never written anywhere.", example: "GATEWAY_API_KEY" }),
  toxiproxy: closed({
    url: z.string().url().meta({ description: "The Toxiproxy's API address.", example: "http://127.0.0.1:8474" }),
  }).optional().meta({ description: "With url: a Toxiproxy of the team's own, whose proxies (named by a fault's `proxy:`) sit in front of its providers.", example: { url: "http://127.0.0.1:8474" } }),
  metrics: z
    .array(
      closed({
        name: identifier.meta({ description: "The component's name in telemetry.jsonl and the reports.", example: "gateway" }),
        url: z.string().url().meta({ description: "Its metrics endpoint (Prometheus or OpenMetrics text), scraped every second while the traffic runs; loopback, or a host in `allow`.", example: "http://127.0.0.1:9901/stats/prometheus" }),
        keep: z
          .array(z.string().regex(/^[a-zA-Z_:*][a-zA-Z0-9_:*]*$/, "a metric name, with * for any characters: envoy_cluster_upstream_rq_*"))
          .min(1)
          .meta({ description: "The metrics kept from each scrape: names, `*` matching any characters (all their label sets are kept).", example: ["envoy_cluster_upstream_rq_retry", "envoy_cluster_circuit_breakers_*"] }),
      }),
    )
    .optional()
    .meta({ description: "With url: the team's own metrics endpoints, scraped every second into telemetry.jsonl and summarized per phase, as the reference stack's are.", example: [{ name: "gateway", url: "http://127.0.0.1:9901/stats/prometheus", keep: ["envoy_cluster_upstream_rq_*"] }] }),
  kubernetes: closed({
    kubeconfig: z.string().min(1).optional().meta({ description: "A kubeconfig file, relative to the scenario file (default: KUBECONFIG, else ~/.kube/config).", example: "kubeconfig.yaml" }),
    context: z.string().min(1).optional().meta({ description: "The kubeconfig's context to use (default: its current context).", example: "kind-inference" }),
  }).optional().meta({ description: "With url: the cluster that `k8s-pod-kill` acts on (its API server loopback or in `allow`).", example: { context: "kind-inference" } }),
}).check(crossCheck((t, ctx) => {
  if ((t.reference === undefined) === (t.url === undefined)) ctx.addIssue({ code: "custom", path: [], message: "give target.reference (the bundled stack) or target.url (an OpenAI-compatible gateway), exactly one" });
  if (t.reference !== undefined) {
    for (const key of ["apiKeyEnv", "toxiproxy", "kubernetes", "metrics"] as const) if (t[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `${key} is for target.url; the reference stack makes its own keys and Toxiproxy, and its telemetry is scraped without it` });
  }
  if (t.url !== undefined && !/^https?:$/.test(new URL(t.url).protocol)) ctx.addIssue({ code: "custom", path: ["url"], message: `${t.url}: an http(s) URL, e.g. https://llm-gateway.internal/v1` });
  const names = new Set<string>();
  (t.metrics ?? []).forEach((m, i) => {
    if (!/^https?:$/.test(new URL(m.url).protocol)) ctx.addIssue({ code: "custom", path: ["metrics", i, "url"], message: `${m.url}: an http(s) URL, e.g. http://127.0.0.1:9901/stats/prometheus` });
    if (names.has(m.name)) ctx.addIssue({ code: "custom", path: ["metrics", i, "name"], message: `metrics endpoint "${m.name}" is named twice` });
    names.add(m.name);
  });
}));

const pricesSchema = z
  .record(
    z.string().min(1),
    closed({
      input: z.number().nonnegative().meta({ description: "USD per million prompt tokens.", example: 3 }),
      output: z.number().nonnegative().meta({ description: "USD per million output tokens.", example: 15 }),
    }),
  )
  .default({})
  .meta({ description: "Token prices in USD per million tokens, per model (the response's `model`, else the one requested): the cost assertions (`cost.per_1k_requests < $2`, `cost.total`) use them.", example: { "sim-large": { input: 3, output: 15 } } });

const phaseSchema = closed({
  name: identifier.meta({ description: "The phase's name: hypotheses name it in `during:`.", example: "slow-primary" }),
  duration: positiveDuration.meta({ description: "How long the phase lasts.", example: "20s" }),
  faults: z.array(faultSchema).default([]).meta({ description: "The faults active during the phase (from its start, or as each one's `schedule` says), rolled back at its end. The kinds: docs/reference/faults.md, `aire faults`.", example: [{ kind: "latency", proxy: "primary", latency: "800ms" }] }),
}).meta({ description: "A stretch of the timeline with its faults; phases run one after the other." });

const assertion = z.string().transform((text, ctx) => {
  const parsed = parseAssertion(text);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
});

const abortCondition = z.string().transform((text, ctx) => {
  const parsed = parseAbortCondition(text);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
});

const hypothesisSchema = closed({
  name: z.string().min(1).meta({ description: "What the hypothesis claims, in words: the reports print it with its verdict.", example: "users barely notice a slow primary" }),
  during: identifier.optional().meta({ description: "The window its assertions are scored on: a phase's name, `fault` (while any fault is active) or `run` (the whole timeline).", example: "slow-primary" }),
  after: z.string().optional().meta({ description: "Or the window after the faults: `fault + 10s` runs from 10 s after the last fault was rolled back to the end.", example: "fault + 10s" }),
  expect: z.array(assertion).min(1, "give at least one assertion").meta({ description: "SLO assertions, each PASS, FAIL or INCONCLUSIVE on its 95% confidence interval: `metric[.stat][{scope}] op threshold` (docs/reference/vocabulary.md, `aire metrics`).", example: ["ttft.p95 < 750ms", "availability >= 97%"] }),
  minSamples: z.number().int().positive().default(20).meta({ description: "Fewer requests than this in the window make the hypothesis INCONCLUSIVE.", example: 50 }),
}).transform((h, ctx) => {
  let window: WindowSpec;
  if (h.after !== undefined) {
    if (h.during !== undefined) ctx.addIssue({ code: "custom", path: ["after"], message: "give during or after, not both" });
    const m = /^\s*fault\s*(?:\+\s*(\S+))?\s*$/.exec(h.after);
    const delay = m?.[1] === undefined ? { ok: true as const, value: 0 } : parseDuration(m[1]);
    if (!m || !delay.ok) {
      ctx.addIssue({ code: "custom", path: ["after"], message: `"${h.after}" is not a window after the faults: write "fault" or "fault + 10s"` });
      return z.NEVER;
    }
    window = { kind: "after", delayMs: delay.value };
  } else if (h.during === undefined) {
    ctx.addIssue({ code: "custom", path: ["during"], message: "say when: during: <phase> | fault | run, or after: fault + <duration>" });
    return z.NEVER;
  } else window = h.during === "fault" ? { kind: "fault" } : h.during === "run" ? { kind: "run" } : { kind: "phase", phase: h.during };
  const during = window.kind === "after" ? `after fault${window.delayMs > 0 ? ` + ${formatDuration(window.delayMs)}` : ""}` : h.during!;
  const { after: _after, ...rest } = h;
  return { ...rest, during, window };
});

const limitsSchema = closed({
  maxRequests: z.number().int().positive().default(1_000_000).meta({ description: "The run stops sending after this many requests.", example: 50000 }),
  drain: positiveDuration.prefault("30s").meta({ description: "After the last phase, how long the run waits for requests still in flight (at most the client timeout); those still open then are failures of class `unanswered` in the window they were sent in.", example: "10s" }),
  maxDuration: positiveDuration.prefault("2h").meta({ description: "The phases may not add up to more than this.", example: "30m" }),
  scheduleLag: closed({
    p99: positiveDuration.prefault("100ms").meta({ description: "The generator's schedule lag at p99 over all requests.", example: "50ms" }),
    max: positiveDuration.prefault("1s").meta({ description: "The generator's worst schedule lag.", example: "500ms" }),
  }).prefault({}).meta({ description: "A generator further behind its schedule than this makes the run INVALID: the load it claims was not sent.", example: { p99: "50ms" } }),
  rate: closed({
    min: rate.meta({ description: "The lowest (0/s: the traffic may be paused).", example: "1/s" }),
    max: rate.meta({ description: "The highest.", example: "200/s" }),
  }).refine((r) => r.min <= r.max, { message: "limits.rate.max is below its min", path: ["max"] }).optional().meta({ description: "The rates of `traffic.arrival` a facilitator may set during a game day (`aire gameday`). Default: from the lowest to the highest the arrival reaches in the scenario, so a constant rate cannot be changed unless this widens it.", example: { min: "0/s", max: "100/s" } }),
  stackLag: positiveDuration.prefault("250ms").meta({ description: "The reference stack's processes are simulations: one whose event loop stalled longer than this (its worst lag in a second, from its own /metrics) was starved by the machine, and every hypothesis window that second falls in is INCONCLUSIVE with the reason.", example: "500ms" }),
}).meta({ description: "Bounds of the run.", example: { maxRequests: 50000, drain: "10s" } });

const exportInterval = positiveDuration.prefault("5s").meta({ description: "How often the metrics so far are sent (and once more at the end).", example: "1s" });
const headersFromEnv = z.record(z.string(), envName).default({}).meta({ description: "Headers whose value is an environment variable's, never written anywhere: header name → variable name.", example: { authorization: "PROM_REMOTE_WRITE_AUTH" } });

const exportSchema = closed({
  prometheus: closed({
    url: z.string().url().meta({ description: "A Prometheus remote-write endpoint (Prometheus with --web.enable-remote-write-receiver: /api/v1/write; Mimir, Cortex, VictoriaMetrics, Grafana Cloud): loopback, or a host in `allow`.", example: "http://127.0.0.1:9090/api/v1/write" }),
    interval: exportInterval,
    headersFromEnv,
  }).optional().meta({ description: "Prometheus remote write of aire's client-side metrics, named after the OpenTelemetry GenAI conventions (gen_ai_client_operation_duration_seconds, …_time_to_first_chunk_seconds, …_time_per_output_chunk_seconds, gen_ai_client_token_usage), labelled with the run, scenario, phase and fault.", example: { url: "http://127.0.0.1:9090/api/v1/write", interval: "5s" } }),
  otlp: closed({
    url: z.string().url().meta({ description: "An OTLP/HTTP metrics endpoint (an OpenTelemetry Collector: /v1/metrics): loopback, or a host in `allow`.", example: "http://127.0.0.1:4318/v1/metrics" }),
    interval: exportInterval,
    headersFromEnv,
  }).optional().meta({ description: "The same metrics as OTLP/HTTP through the OpenTelemetry JS SDK, with the GenAI conventions' names and attributes.", example: { url: "http://127.0.0.1:4318/v1/metrics" } }),
  grafana: closed({
    url: z.string().url().meta({ description: "Grafana's base URL (its HTTP API /api/annotations is called): loopback, or a host in `allow`.", example: "http://127.0.0.1:3000" }),
    tokenEnv: envName.meta({ description: "The environment variable holding a Grafana service account token (sent as a Bearer token, never written).", example: "GRAFANA_TOKEN" }),
    dashboardUid: z.string().min(1).optional().meta({ description: "Put the annotations on this dashboard only (else they are organisation-wide).", example: "aire-run" }),
    tags: z.array(z.string().min(1)).default([]).meta({ description: "Tags added to every annotation (aire adds `aire`, the scenario's name, the run id, and `phase` or `fault`).", example: ["game-day"] }),
  }).optional().meta({ description: "Each phase and each fault as a Grafana annotation (a region from its start to its end), so the team's own dashboards show when aire acted.", example: { url: "http://127.0.0.1:3000", tokenEnv: "GRAFANA_TOKEN" } }),
}).meta({ description: "Export while running, to the team's own dashboards (each opt-in). A receiver that is slow or down never stops the run: its failures are counted and said.", example: { prometheus: { url: "http://127.0.0.1:9090/api/v1/write" } } });

export const scenarioSchema = closed({
  /**
   * Shared files this scenario starts from, merged in order under its own keys (maps key by key,
   * lists and values replaced whole): `extends: [shared/target.yaml, shared/slos.yaml]`. Paths are
   * relative to this file. The loader resolves it (harness/scenario/extends.ts): a loaded scenario
   * never holds it, and `scenario.resolved.yaml` is the whole merged scenario.
   */
  extends: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().meta({ description: "Shared files this scenario starts from, relative to it, merged in order under its own keys: maps key by key, lists and values replaced whole.", example: ["shared/two-providers.yaml"] }),
  apiVersion: z.literal("aire/v1", { error: 'apiVersion must be "aire/v1"' }).meta({ description: "The scenario format's version.", example: "aire/v1" }),
  name: identifier.meta({ description: "The scenario's name: run ids, result directories and reports carry it.", example: "provider-latency" }),
  description: z.string().default("").meta({ description: "One line on what the scenario rehearses, printed in reports.", example: "Primary provider gets +800 ms latency for 20 s; the gateway should fall back." }),
  seed: z.number().int().nonnegative().default(1).meta({ description: "Seeds every random draw (arrivals, prompts, answers, fault fractions): the same seed sends the same traffic.", example: 42 }),
  target: targetSchema.meta({ description: "What the traffic goes to: the bundled reference stack, or a team's own OpenAI-compatible gateway (exactly one).", example: { reference: { providers: [{ name: "primary" }, { name: "secondary" }] } } }),
  traffic: trafficSchema,
  phases: z.array(phaseSchema).min(1, "a scenario needs at least one phase").meta({ description: "The timeline: phases one after the other, each with the faults active in it.", example: [{ name: "baseline", duration: "10s" }, { name: "slow-primary", duration: "20s", faults: [{ kind: "latency", proxy: "primary", latency: "800ms" }] }] }),
  probes: probesSchema,
  hypotheses: z.array(hypothesisSchema).default([]).meta({ description: "What the run must show: each a window and SLO assertions, scored PASS, FAIL or INCONCLUSIVE.", example: [{ name: "users barely notice", during: "slow-primary", expect: ["ttft.p95 < 750ms"] }] }),
  abort: z.array(abortCondition).default([]).meta({ description: "Stop the run (roll back, exit 4) when one holds, checked every second on the requests completed in its window.", example: ["error_rate > 50% for 10s"] }),
  quick: closed({
    timeScale: z.number().positive().max(1).optional().meta({ description: "The quick form's time scale: every phase and fault time multiplied by it.", example: 0.4 }),
    set: z.array(z.string()).default([]).meta({ description: "Overrides (as `--set path=value`) that keep enough samples at the shorter time: a higher rate.", example: ["traffic.arrival.rate=40/s"] }),
  }).optional().meta({ description: "The quick form for CI (`aire run --quick`, `aire proof`): a time scale and overrides.", example: { timeScale: 0.4, set: ["traffic.arrival.rate=40/s"] } }),
  proof: closed({
    resilient: z.enum(["PASS", "FAIL"]).default("PASS").meta({ description: "The verdict the scenario must reach against the resilient gateway profile.", example: "PASS" }),
    naive: z.enum(["PASS", "FAIL"]).meta({ description: "The verdict the scenario must reach against the naive profile: FAIL shows the scenario can tell them apart.", example: "FAIL" }),
  }).optional().meta({ description: "What the scenario proves: its verdict against each gateway profile, checked by `aire proof`.", example: { resilient: "PASS", naive: "FAIL" } }),
  prices: pricesSchema,
  limits: limitsSchema.prefault({}),
  allow: z.array(z.string().min(1)).default([]).meta({ description: "Hosts (exact, or `*.domain`) that traffic and fault calls may go to besides loopback; nothing else is ever contacted.", example: ["llm-gateway.staging.internal"] }),
  export: exportSchema.optional(),
}).check(crossCheck((scenario, ctx) => {
  const { target } = scenario;
  const reference = target.reference;
  // Safety: a host that is not loopback is contacted only when the scenario's allow list names it.
  const hosts: [(string | number)[], string | undefined][] = [
    [["target", "url"], target.url],
    [["target", "toxiproxy", "url"], target.toxiproxy?.url],
    [["target", "reference", "toxiproxy", "url"], reference?.toxiproxy.url],
    ...(target.metrics ?? []).map((m, i): [(string | number)[], string] => [["target", "metrics", i, "url"], m.url]),
    [["export", "prometheus", "url"], scenario.export?.prometheus?.url],
    [["export", "otlp", "url"], scenario.export?.otlp?.url],
    [["export", "grafana", "url"], scenario.export?.grafana?.url],
    ...scenario.probes.map((p, i): [(string | number)[], string | undefined] => (p.http ? [["probes", i, "http", "url"], p.http.url] : p.prometheus ? [["probes", i, "prometheus", "url"], p.prometheus.url] : [["probes", i, "metrics", "url"], p.metrics?.url])),
  ];
  for (const [path, url] of hosts) {
    if (url === undefined) continue;
    const host = new URL(url).hostname;
    if (!isLoopbackHost(host) && !hostAllowed(host, scenario.allow)) {
      ctx.addIssue({ code: "custom", path, message: `${url}: ${host} is not loopback and not in allow: (refused before any traffic; add "${host}" to allow: to send traffic there)` });
    }
  }
  if (target.url !== undefined && scenario.proof) ctx.addIssue({ code: "custom", path: ["proof"], message: "proof: compares the reference gateway's profiles; a scenario with target.url has no gateway of ours to swap" });
  if (target.url !== undefined) {
    scenario.traffic.tenants.forEach((tenant, i) => {
      if (tenant.apiKeyEnv === undefined) ctx.addIssue({ code: "custom", path: ["traffic", "tenants", i, "apiKeyEnv"], message: `with target.url, tenant "${tenant.name}" needs apiKeyEnv: the environment variable holding its key` });
    });
  } else {
    scenario.traffic.tenants.forEach((tenant, i) => {
      if (tenant.apiKeyEnv !== undefined) ctx.addIssue({ code: "custom", path: ["traffic", "tenants", i, "apiKeyEnv"], message: "apiKeyEnv is for target.url; the reference stack makes each tenant's key per run" });
    });
  }
  const phases = new Set<string>();
  scenario.phases.forEach((phase, i) => {
    if (phases.has(phase.name)) ctx.addIssue({ code: "custom", path: ["phases", i, "name"], message: `phase "${phase.name}" is defined twice` });
    if (phase.name === "fault" || phase.name === "run") ctx.addIssue({ code: "custom", path: ["phases", i, "name"], message: `"${phase.name}" is a window of its own in hypotheses (during: ${phase.name}); name the phase otherwise` });
    phases.add(phase.name);
  });
  const providers = new Set<string>();
  (reference?.providers ?? []).forEach((provider, i) => {
    if (providers.has(provider.name)) {
      ctx.addIssue({ code: "custom", path: ["target", "reference", "providers", i, "name"], message: `provider "${provider.name}" is defined twice` });
    }
    providers.add(provider.name);
  });
  scenario.phases.forEach((phase, i) =>
    phase.faults.forEach((fault, j) => {
      for (const issue of faultIssues(fault, target, providers)) ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, ...issue.path], message: issue.message });
    }),
  );
  const probes = new Set<string>();
  scenario.probes.forEach((probe, i) => {
    if (probes.has(probe.name)) ctx.addIssue({ code: "custom", path: ["probes", i, "name"], message: `probe "${probe.name}" is defined twice` });
    probes.add(probe.name);
    if (probe.during !== undefined && probe.during !== "fault" && !phases.has(probe.during)) ctx.addIssue({ code: "custom", path: ["probes", i, "during"], message: `no phase named "${probe.during}" (phases: ${[...phases].join(", ")}; or fault)` });
    const kind = probe.metrics ? "metrics" : "http";
    const component = probe.metrics?.component ?? probe.http?.component;
    if (component !== undefined) {
      if (!reference) ctx.addIssue({ code: "custom", path: ["probes", i, kind, "component"], message: "component names a part of the reference stack; with target.url give the endpoint's url" });
      else if (component !== "gateway" && !providers.has(component)) ctx.addIssue({ code: "custom", path: ["probes", i, kind, "component"], message: `no component named "${component}" (gateway, ${[...providers].join(", ")})` });
    }
  });
  const tenants = new Set(scenario.traffic.tenants.map((t) => t.name));
  const workloads = new Set(scenario.traffic.mix.map((w) => w.name));
  scenario.hypotheses.forEach((hypothesis, i) => {
    hypothesis.expect.forEach((assertion, j) => {
      for (const { tenant, workload, provider } of scopesOf(assertion)) {
        if (tenant !== undefined && !tenants.has(tenant)) {
          ctx.addIssue({ code: "custom", path: ["hypotheses", i, "expect", j], message: `no tenant named "${tenant}" (tenants: ${[...tenants].join(", ") || "none"})` });
        }
        if (workload !== undefined && !workloads.has(workload)) {
          ctx.addIssue({ code: "custom", path: ["hypotheses", i, "expect", j], message: `no workload named "${workload}" (workloads: ${[...workloads].join(", ")})` });
        }
        if (provider !== undefined && reference && !providers.has(provider)) {
          ctx.addIssue({ code: "custom", path: ["hypotheses", i, "expect", j], message: `no provider named "${provider}" (providers: ${[...providers].join(", ")})` });
        }
      }
      for (const probe of probesOf(assertion)) {
        if (!probes.has(probe)) ctx.addIssue({ code: "custom", path: ["hypotheses", i, "expect", j], message: `no probe named "${probe}" (probes: ${[...probes].join(", ") || "none; define them under probes:"})` });
      }
      if (assertion.kind === "time_to_detect" && !assertion.condition && !hypothesis.expect.some((a) => a.kind === "measure" && a.measure.kind !== "probe")) {
        ctx.addIssue({ code: "custom", path: ["hypotheses", i, "expect", j], message: "time_to_detect without a condition watches the hypothesis's other assertions, and it has none: write time_to_detect(<condition>) < <duration>" });
      }
    });
    if (hypothesis.window.kind === "phase" && !phases.has(hypothesis.window.phase)) {
      ctx.addIssue({ code: "custom", path: ["hypotheses", i, "during"], message: `no phase named "${hypothesis.window.phase}" (phases: ${[...phases].join(", ")}; or fault, run)` });
    }
  });
  const total = scenario.phases.reduce((sum, phase) => sum + phase.duration, 0);
  if (total > scenario.limits.maxDuration) {
    ctx.addIssue({ code: "custom", path: ["phases"], message: `phases last ${total} ms in all, more than limits.maxDuration (${scenario.limits.maxDuration} ms)` });
  }
}));

/** Does the allow list name this host (exactly, case-insensitive, or by a `*.domain` pattern)? */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return allow.some((entry) => {
    const e = entry.trim().toLowerCase().replace(/^\[|\]$/g, "");
    return e.startsWith("*.") ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

/** A validated scenario: every default filled in, durations in ms, rates per second. */

/**
 * A fault's checks against the scenario's target: its ramp parameter, the reference stack's
 * providers it names, a url target's Toxiproxy, k8s-pod-kill's cluster. The loader's own, and the
 * game-day console's for a fault injected by hand (same messages). Paths are within the fault.
 */
export function faultIssues(fault: z.output<typeof faultSchema>, target: { reference?: unknown; toxiproxy?: unknown; kubernetes?: unknown }, providers: ReadonlySet<string>): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const reference = target.reference;
  const ramp = fault.schedule?.ramp;
  if (ramp && typeof (fault as Record<string, unknown>)[ramp.param] !== "number") {
    const numeric = Object.entries(fault).filter(([, v]) => typeof v === "number").map(([k]) => k);
    issues.push({ path: ["schedule", "ramp", "param"], message: `"${ramp.param}" is not a numeric parameter of ${fault.kind} (numeric: ${numeric.join(", ") || "none"})` });
  }
  if (fault.kind === "k8s-pod-kill") {
    if (fault.count !== undefined && fault.percent !== undefined) issues.push({ path: ["percent"], message: "give count or percent, not both" });
    if (reference) issues.push({ path: ["kind"], message: "k8s-pod-kill deletes pods of your own cluster (target.url); the reference stack's pods are killed with pod-kill" });
    else if (!target.kubernetes) issues.push({ path: ["kind"], message: "k8s-pod-kill needs target.kubernetes: { kubeconfig: <file>, context: <name> } (both optional, the block is not)" });
    return issues;
  }
  const key = "proxy" in fault ? "proxy" : "provider";
  const name = "proxy" in fault ? fault.proxy : fault.provider;
  if (!reference) {
    // Against a team's own gateway: network faults on its Toxiproxy's proxies, by name; nothing else can be reached.
    if (key === "provider") issues.push({ path: ["provider"], message: `${fault.kind} acts on the reference stack's synthetic providers (their admin API); with target.url use network faults on your Toxiproxy's proxies (proxy: <name>)` });
    else if (!target.toxiproxy) issues.push({ path: ["proxy"], message: `${fault.kind} needs target.toxiproxy.url: the Toxiproxy whose proxy "${name}" sits in front of your provider` });
  } else if (!providers.has(name)) {
    issues.push({ path: [key], message: `no provider named "${name}" (providers: ${[...providers].join(", ")})` });
  }
  return issues;
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ReferenceSpec = NonNullable<Scenario["target"]["reference"]>;
export type ProviderSpec = ReferenceSpec["providers"][number];
export type GatewaySpec = ReferenceSpec["gateway"];
export type { TenantSpec, WorkloadSpec } from "../traffic/schema.js";
export type PhaseSpec = Scenario["phases"][number];
export type HypothesisSpec = Scenario["hypotheses"][number];
