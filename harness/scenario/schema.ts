/**
 * The scenario format (`apiVersion: aire/v1`): the single source of truth for its types.
 * Every field has a default documented in docs/scenario-format.md; durations and rates carry units.
 * @module
 */
import { z } from "zod";
import { faultSchema } from "../../faults/schema.js";
import { policyOverridesShape } from "../reference/gateway/config.js";
import { parseAssertion, scopesOf } from "../slo/expression.js";
import { parseAbortCondition } from "../slo/abort-condition.js";
import type { WindowSpec } from "../slo/score.js";
import { formatDuration, parseDuration } from "../base/units.js";
import { isLoopbackHost } from "../base/net/http-server.js";
import { closed, crossCheck, duration, envName, identifier, positiveDuration } from "../base/fields.js";
import { trafficSchema } from "../traffic/schema.js";

const providerSchema = closed({
  name: identifier,
  /** The model id the provider serves (and reports in its responses). */
  model: z.string().min(1).default("sim-model"),
  /** Time to first token when idle, before prefill of the prompt. */
  ttft: duration.prefault("80ms"),
  /** Prefill speed: prompt tokens processed per second (adds prompt/prefill to TTFT). */
  prefillTokensPerSec: z.number().positive().default(20_000),
  /** Decode speed of one sequence alone, output tokens per second (falls as the batch fills). */
  decodeTokensPerSec: z.number().positive().max(10_000).default(50),
  /** GPU pods, each its own process behind the provider's front; 0 serves inside the front. */
  pods: z.number().int().min(0).max(64).default(1),
  /** Concurrent sequences per pod (continuous batching). */
  slotsPerPod: z.number().int().positive().max(4096).default(8),
  /** Requests that may wait for a slot, per pod; past it they are refused with `queueFullStatus`. */
  maxQueuePerPod: z.number().int().nonnegative().default(64),
  queueFullStatus: z.union([z.literal(503), z.literal(429)]).default(503),
  /** Prompt + max_tokens above this is a 400 context_length_exceeded. */
  contextWindow: z.number().int().positive().default(128_000),
  /** Natural answer length (lognormal), capped by the request's max_tokens. */
  outputTokens: closed({ median: z.number().positive(), p99: z.number().positive() }).prefault({ median: 200, p99: 800 }),
  /** Per API key limits, OpenAI-style. */
  rateLimit: closed({ rpm: z.number().positive().optional(), tpm: z.number().positive().optional() }).prefault({}),
  /** Model load time of a restarted pod before it is ready. */
  coldStart: duration.prefault("5s"),
});

const gatewaySchema = closed({
  /** `resilient` (timeouts, retries with a budget, breaker, fallback, load shedding) or `naive` (first provider only, nothing else). */
  profile: z.enum(["resilient", "naive"]).default("resilient"),
  /** Overrides of the profile's policies (see harness/reference/gateway/config.ts and docs/scenario-format.md). */
  ...policyOverridesShape,
});

const toxiproxySchema = closed({
  /** embedded (aire's own, default) | container (the real image, needs Docker) | url (one that runs already). */
  backend: z.enum(["embedded", "container", "url"]).default("embedded"),
  /** With backend url: its API address, e.g. http://127.0.0.1:8474 (loopback only). */
  url: z.string().url().optional(),
}).check(crossCheck((t, ctx) => {
  if (t.backend === "url" && !t.url) ctx.addIssue({ code: "custom", path: ["url"], message: "backend url needs url: http://127.0.0.1:8474 (where your Toxiproxy listens)" });
  if (t.backend !== "url" && t.url) ctx.addIssue({ code: "custom", path: ["url"], message: `url is only used with backend: url (backend is ${t.backend})` });
}));

const referenceTargetSchema = closed({
  gateway: gatewaySchema.prefault({}),
  toxiproxy: toxiproxySchema.prefault({}),
  providers: z.array(providerSchema).min(1, "name at least one provider"),
});

/** An environment variable's name: a key is read from it at run time, never written in a scenario or the results. */

const targetSchema = closed({
  /** The bundled stack: synthetic providers, the embedded Toxiproxy, the reference gateway. */
  reference: referenceTargetSchema.optional(),
  /** Or any OpenAI-compatible gateway a team runs: its base URL (…/v1). A non-loopback host must be in `allow`. */
  url: z.string().url().optional(),
  /** With url: the environment variable that holds the API key (sent as a Bearer token). */
  apiKeyEnv: envName.optional(),
  /** With url: a Toxiproxy of the team's own, for network faults on its proxies (named by `proxy:`). */
  toxiproxy: closed({ url: z.string().url() }).optional(),
  /** With url: the cluster for `k8s-pod-kill` (its API server must be loopback or in `allow`). */
  kubernetes: closed({
    /** A kubeconfig file, relative to the scenario file (default: KUBECONFIG or ~/.kube/config). */
    kubeconfig: z.string().min(1).optional(),
    /** Its context (default: the kubeconfig's current context). */
    context: z.string().min(1).optional(),
  }).optional(),
}).check(crossCheck((t, ctx) => {
  if ((t.reference === undefined) === (t.url === undefined)) ctx.addIssue({ code: "custom", path: [], message: "give target.reference (the bundled stack) or target.url (an OpenAI-compatible gateway), exactly one" });
  if (t.reference !== undefined) {
    for (const key of ["apiKeyEnv", "toxiproxy", "kubernetes"] as const) if (t[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `${key} is for target.url; the reference stack makes its own keys and Toxiproxy` });
  }
  if (t.url !== undefined && !/^https?:$/.test(new URL(t.url).protocol)) ctx.addIssue({ code: "custom", path: ["url"], message: `${t.url}: an http(s) URL, e.g. https://llm-gateway.internal/v1` });
}));

/** USD per million tokens, per model (the response's `model`, else the requested one). */
const pricesSchema = z.record(z.string().min(1), closed({ input: z.number().nonnegative(), output: z.number().nonnegative() })).default({});

const phaseSchema = closed({
  name: identifier,
  duration: positiveDuration,
  faults: z.array(faultSchema).default([]),
});

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
  name: z.string().min(1),
  /** The window the assertions are scored on: a phase's name, `fault` (while any fault is active) or `run` (everything). */
  during: identifier.optional(),
  /** Or the window after the faults: `fault + 10s` (from 10 s after the last fault was rolled back to the end). */
  after: z.string().optional(),
  expect: z.array(assertion).min(1, "give at least one assertion"),
  /** Fewer samples than this in the window makes the hypothesis INCONCLUSIVE. */
  minSamples: z.number().int().positive().default(20),
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
  /** The run stops sending after this many requests. */
  maxRequests: z.number().int().positive().default(1_000_000),
  /**
   * After the last phase, how long the run waits for requests still in flight (at most the client
   * timeout); those still open then are failures of class `unanswered` in the window they were sent in.
   */
  drain: positiveDuration.prefault("30s"),
  /** Phases may not add up to more than this. */
  maxDuration: positiveDuration.prefault("2h"),
  /** A generator later than this behind its schedule (p99 over all requests, or at worst) makes the run INVALID. */
  scheduleLag: closed({ p99: positiveDuration.prefault("100ms"), max: positiveDuration.prefault("1s") }).prefault({}),
});

export const scenarioSchema = closed({
  /**
   * Shared files this scenario starts from, merged in order under its own keys (maps key by key,
   * lists and values replaced whole): `extends: [shared/target.yaml, shared/slos.yaml]`. Paths are
   * relative to this file. The loader resolves it (harness/scenario/extends.ts): a loaded scenario
   * never holds it, and `scenario.resolved.yaml` is the whole merged scenario.
   */
  extends: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  apiVersion: z.literal("aire/v1", { error: 'apiVersion must be "aire/v1"' }),
  name: identifier,
  description: z.string().default(""),
  seed: z.number().int().nonnegative().default(1),
  target: targetSchema,
  traffic: trafficSchema,
  phases: z.array(phaseSchema).min(1, "a scenario needs at least one phase"),
  hypotheses: z.array(hypothesisSchema).default([]),
  /** Stop the run (roll back, exit 4) when one holds: `error_rate > 50% for 10s`, checked every second on the requests completed in the window. */
  abort: z.array(abortCondition).default([]),
  /** The quick form (`aire run --quick`, `aire proof`): a time scale and overrides that keep enough samples, for CI. */
  quick: closed({
    timeScale: z.number().positive().max(1).optional(),
    set: z.array(z.string()).default([]),
  }).optional(),
  /** What the scenario proves: its verdict against each gateway profile (checked by `aire proof`). */
  proof: closed({
    resilient: z.enum(["PASS", "FAIL"]).default("PASS"),
    naive: z.enum(["PASS", "FAIL"]),
  }).optional(),
  /** Token prices, USD per million tokens, per model: `{ sim-large: { input: 3, output: 15 } }`. */
  prices: pricesSchema,
  limits: limitsSchema.prefault({}),
  /** Hosts (exact, or `*.domain`) that traffic and fault calls may go to besides loopback; nothing else is ever contacted. */
  allow: z.array(z.string().min(1)).default([]),
}).check(crossCheck((scenario, ctx) => {
  const { target } = scenario;
  const reference = target.reference;
  // Safety: a host that is not loopback is contacted only when the scenario's allow list names it.
  const hosts: [string[], string | undefined][] = [
    [["target", "url"], target.url],
    [["target", "toxiproxy", "url"], target.toxiproxy?.url],
    [["target", "reference", "toxiproxy", "url"], reference?.toxiproxy.url],
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
      const ramp = fault.schedule?.ramp;
      if (ramp && typeof (fault as Record<string, unknown>)[ramp.param] !== "number") {
        const numeric = Object.entries(fault).filter(([, v]) => typeof v === "number").map(([k]) => k);
        ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, "schedule", "ramp", "param"], message: `"${ramp.param}" is not a numeric parameter of ${fault.kind} (numeric: ${numeric.join(", ") || "none"})` });
      }
      if (fault.kind === "k8s-pod-kill") {
        if (fault.count !== undefined && fault.percent !== undefined) ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, "percent"], message: "give count or percent, not both" });
        if (reference) ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, "kind"], message: "k8s-pod-kill deletes pods of your own cluster (target.url); the reference stack's pods are killed with pod-kill" });
        else if (!target.kubernetes) ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, "kind"], message: "k8s-pod-kill needs target.kubernetes: { kubeconfig: <file>, context: <name> } (both optional, the block is not)" });
        return;
      }
      const key = "proxy" in fault ? "proxy" : "provider";
      const name = "proxy" in fault ? fault.proxy : fault.provider;
      if (!reference) {
        // Against a team's own gateway: network faults on its Toxiproxy's proxies, by name; nothing else can be reached.
        if (key === "provider") ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, "provider"], message: `${fault.kind} acts on the reference stack's synthetic providers (their admin API); with target.url use network faults on your Toxiproxy's proxies (proxy: <name>)` });
        else if (!target.toxiproxy) ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, "proxy"], message: `${fault.kind} needs target.toxiproxy.url: the Toxiproxy whose proxy "${name}" sits in front of your provider` });
      } else if (!providers.has(name)) {
        ctx.addIssue({ code: "custom", path: ["phases", i, "faults", j, key], message: `no provider named "${name}" (providers: ${[...providers].join(", ")})` });
      }
    }),
  );
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
      if (assertion.kind === "time_to_detect" && !assertion.condition && !hypothesis.expect.some((a) => a.kind === "measure")) {
        ctx.addIssue({ code: "custom", path: ["hypotheses", i, "expect", j], message: "time_to_detect without a condition watches the hypothesis's other assertions, and it has none: write time_to_detect(<condition>) < <duration>" });
      }
    });
    if ((hypothesis.window.kind === "fault" || hypothesis.window.kind === "after") && !scenario.phases.some((phase) => phase.faults.length > 0)) {
      const key = hypothesis.window.kind === "fault" ? "during" : "after";
      ctx.addIssue({ code: "custom", path: ["hypotheses", i, key], message: `this scenario has no faults, so the window ${key}: fault is empty` });
    }
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
export type Scenario = z.output<typeof scenarioSchema>;
export type ReferenceSpec = NonNullable<Scenario["target"]["reference"]>;
export type ProviderSpec = ReferenceSpec["providers"][number];
export type GatewaySpec = ReferenceSpec["gateway"];
export type { TenantSpec, WorkloadSpec } from "../traffic/schema.js";
export type PhaseSpec = Scenario["phases"][number];
export type HypothesisSpec = Scenario["hypotheses"][number];
