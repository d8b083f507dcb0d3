/**
 * The reference gateway's configuration (`aire serve gateway --config FILE`, or built by the
 * orchestrator from a scenario's `target.reference.gateway`).
 *
 * A policy is a built-in profile plus overrides. Each section can be switched off with `false`;
 * a section switched on over the `naive` profile takes the `resilient` profile's values for the
 * fields it does not give. Durations carry units, as in scenarios.
 * @module
 */
import { z } from "zod";
import { closed, duration, fraction, identifier, switchable } from "../../base/fields.js";

export const balanceKinds = ["priority", "weighted", "least-inflight", "p2c-ewma"] as const;
export type Balance = (typeof balanceKinds)[number];

/** The resolved policy: milliseconds, and `undefined` for what is switched off. */
export interface GatewayPolicy {
  /** After a failure, try the route's next provider (immediately) before going back to one already tried. */
  fallback: boolean;
  timeouts: {
    /** TCP connect to a provider. */
    connectMs: number;
    /** Streamed requests: an attempt must produce its first content token within this time. */
    ttftMs: number | undefined;
    /** Streamed requests: the longest silence allowed between two upstream chunks. */
    idleMs: number | undefined;
    /** The whole request, retries included. */
    totalMs: number | undefined;
    /** A client must have sent its whole request within this time (408 otherwise). */
    clientRequestMs: number;
  };
  retries: {
    /** Upstream attempts per request, fallbacks included (1: never retry). */
    maxAttempts: number;
    /** Exponential backoff with full jitter: random(0, min(max, base·2^k)) before going back to a provider. */
    backoffBaseMs: number;
    backoffMaxMs: number;
    /** A provider's `retry-after-ms` / `retry-after` is honoured up to this; longer waits are not waited for. */
    retryAfterCapMs: number;
    /** Retries may be at most `ratio` × requests over `window`, plus `minPerSecond` × window seconds. */
    budget: { ratio: number; minPerSecond: number; windowMs: number } | undefined;
    /**
     * Retry at one layer: an error answered after the gateway retried (or after its budget refused
     * a retry) carries `x-should-retry: false`, so SDK clients (openai, anthropic) do not multiply
     * the upstream attempts by their own retries.
     */
    discourageClientRetry: boolean;
  };
  /** Enforce each API key's `rpm`/`tpm` (per-tenant limits: one tenant's flood gets 429s, not the others). */
  keyLimits: boolean;
  /**
   * Per provider: open after `consecutiveFailures` in a row, or when failures/attempts ≥ failureRate over `window` with ≥ minRequests attempts.
   * `maxOpen`: at most this share of the providers may have their breaker open (or half-open) at once, at least one
   * (Envoy's max_ejection_percent): a breaker that also ejects the last, partly working provider turns a partial
   * failure into a total one.
   */
  breaker: { consecutiveFailures: number; windowMs: number; minRequests: number; failureRate: number; openMs: number; halfOpenProbes: number; maxOpen: number } | undefined;
  /** How a route picks its first provider; the others follow in route order as fallbacks. */
  balance: Balance;
  /** p2c-ewma: time constant of the latency EWMA's decay while a provider gets no traffic. */
  ewmaDecayMs: number;
  /** Requests in flight at once; past it up to `maxQueue` wait up to `queueTimeout`, the rest get a fast 503. */
  concurrency: { maxInFlight: number; maxQueue: number; queueTimeoutMs: number } | undefined;
}

export const gatewayProfiles: Record<"resilient" | "naive", GatewayPolicy> = {
  resilient: {
    fallback: true,
    timeouts: { connectMs: 2_000, ttftMs: 2_000, idleMs: 5_000, totalMs: 120_000, clientRequestMs: 30_000 },
    retries: { maxAttempts: 3, backoffBaseMs: 100, backoffMaxMs: 2_000, retryAfterCapMs: 5_000, budget: { ratio: 0.2, minPerSecond: 5, windowMs: 10_000 }, discourageClientRetry: true },
    keyLimits: true,
    breaker: { consecutiveFailures: 5, windowMs: 10_000, minRequests: 10, failureRate: 0.5, openMs: 5_000, halfOpenProbes: 3, maxOpen: 0.5 },
    balance: "priority",
    ewmaDecayMs: 10_000,
    concurrency: { maxInFlight: 1_024, maxQueue: 1_024, queueTimeoutMs: 5_000 },
  },
  naive: {
    fallback: false,
    timeouts: { connectMs: 10_000, ttftMs: undefined, idleMs: undefined, totalMs: undefined, clientRequestMs: 300_000 },
    retries: { maxAttempts: 1, backoffBaseMs: 100, backoffMaxMs: 2_000, retryAfterCapMs: 0, budget: undefined, discourageClientRetry: false },
    keyLimits: false,
    breaker: undefined,
    balance: "priority",
    ewmaDecayMs: 10_000,
    concurrency: undefined,
  },
};

/** Policy overrides, as written in a gateway config file or a scenario's `target.reference.gateway`. */
export const policyOverridesShape = {
  fallback: z.boolean().optional().meta({ description: "After a failed attempt, try the route's next provider at once, before going back to one already tried (resilient: on; naive: off).", example: false }),
  timeouts: closed({
    connect: duration.optional().meta({ description: "TCP connect to a provider (resilient 2s, naive 10s).", example: "2s" }),
    ttft: switchable(duration).optional().meta({ description: "Streamed requests: an attempt with no first content token after this long is given up and failed over (resilient 2s); false: wait for ever (naive).", example: "400ms" }),
    idle: switchable(duration).optional().meta({ description: "Streamed requests: the longest silence allowed between two upstream chunks (resilient 5s); before the first token it fails over, after it the client gets an SSE error event; false: off (naive).", example: "5s" }),
    total: switchable(duration).optional().meta({ description: "The whole request, retries included (resilient 120s): cut at this deadline with an SSE error event when streaming, a 504 when not; false: off (naive).", example: "60s" }),
    clientRequest: duration.optional().meta({ description: "A client must have sent its whole request within this time (408 otherwise).", example: "30s" }),
  }).optional().meta({ description: "The gateway's timeouts on each attempt and each request.", example: { ttft: "400ms", idle: "5s" } }),
  retries: closed({
    maxAttempts: z.number().int().min(1).max(10).optional().meta({ description: "Upstream attempts per request, fallbacks included (1: never retry; resilient 3).", example: 3 }),
    backoffBase: duration.optional().meta({ description: "Backoff before going back to a provider: random(0, min(backoffMax, backoffBase·2^k)), full jitter.", example: "100ms" }),
    backoffMax: duration.optional().meta({ description: "The largest backoff (see backoffBase).", example: "2s" }),
    retryAfterCap: duration.optional().meta({ description: "A provider's retry-after-ms or retry-after is honoured up to this; a longer wait is not waited for.", example: "5s" }),
    budget: switchable(
      closed({
        ratio: fraction.optional().meta({ description: "Retries at most this share of the requests over `window`, plus `minPerSecond` per second.", example: "20%" }),
        minPerSecond: z.number().nonnegative().optional().meta({ description: "Retries allowed per second on top of the ratio.", example: 5 }),
        window: duration.optional().meta({ description: "The window the budget is counted over.", example: "10s" }),
      }),
    ).optional().meta({ description: "A retry budget (as Envoy's and Finagle's): retries stay within a share of the requests, so a storm is not multiplied; false: off.", example: { ratio: "20%" } }),
    discourageClientRetry: z.boolean().optional().meta({ description: "An error answered after the gateway retried (or after its budget refused a retry) carries `x-should-retry: false`, so SDK clients do not multiply the upstream attempts by their own retries.", example: true }),
  }).optional().meta({ description: "Retries, their backoff and their budget.", example: { maxAttempts: 3, budget: { ratio: "20%" } } }),
  keyLimits: z.boolean().optional().meta({ description: "Enforce the tenants' rpm and tpm on their keys (429 with retry-after past them).", example: true }),
  breaker: switchable(
    closed({
      consecutiveFailures: z.number().int().min(1).optional().meta({ description: "Failures in a row that open the breaker.", example: 5 }),
      window: duration.optional().meta({ description: "The window the failure rate is counted over.", example: "10s" }),
      minRequests: z.number().int().min(1).optional().meta({ description: "Attempts in the window before the failure rate counts.", example: 10 }),
      failureRate: fraction.optional().meta({ description: "Failures per attempt over `window` that open it.", example: "50%" }),
      openFor: duration.optional().meta({ description: "How long it stays open before half-open probes.", example: "5s" }),
      halfOpenProbes: z.number().int().min(1).max(100).optional().meta({ description: "Attempts let through while half-open, to see whether the provider is back.", example: 3 }),
      maxOpen: fraction.optional().meta({ description: "At most this share of the providers may be open or half-open at once, at least one (Envoy's max_ejection_percent): ejecting the last, partly working provider would turn a partial failure into a total one.", example: "50%" }),
    }),
  ).optional().meta({ description: "A circuit breaker per provider: an open one gets no attempts; false: off.", example: { consecutiveFailures: 5, openFor: "5s" } }),
  balance: z.enum(balanceKinds).optional().meta({ description: "How each request's first provider is chosen: `priority` (route order), `weighted`, `least-inflight` or `p2c-ewma` (two random choices on peak-EWMA latency).", example: "p2c-ewma" }),
  ewmaDecay: duration.optional().meta({ description: "p2c-ewma: the time constant of the latency estimate's decay while a provider gets no traffic.", example: "10s" }),
  concurrency: switchable(
    closed({
      maxInFlight: z.number().int().min(1).optional().meta({ description: "Requests in flight at once.", example: 256 }),
      maxQueue: z.number().int().min(0).optional().meta({ description: "Requests past maxInFlight that may wait, up to queueTimeout; the rest get a fast 503.", example: 512 }),
      queueTimeout: duration.optional().meta({ description: "The longest wait in the queue (a 503 after it).", example: "2s" }),
    }),
  ).optional().meta({ description: "Load shedding: a bound on requests in flight and in the queue; false: unlimited.", example: { maxInFlight: 256 } }),
};

export const policyOverridesSchema = closed(policyOverridesShape);
export type PolicyOverrides = z.output<typeof policyOverridesSchema>;
export type ProfileName = keyof typeof gatewayProfiles;

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const ms = (v: number | false | undefined, fallback: number | undefined) => (v === false ? undefined : (v ?? fallback));

/** The profile's policy with the overrides applied. */
export function resolvePolicy(profile: ProfileName, o: PolicyOverrides = {}): GatewayPolicy {
  const base = gatewayProfiles[profile];
  const full = gatewayProfiles.resilient;
  const t = o.timeouts ?? {};
  const r = o.retries ?? {};
  const budgetBase = base.retries.budget ?? full.retries.budget!;
  const breakerBase = base.breaker ?? full.breaker!;
  const concurrencyBase = base.concurrency ?? full.concurrency!;
  return {
    fallback: o.fallback ?? base.fallback,
    timeouts: {
      connectMs: t.connect ?? base.timeouts.connectMs,
      ttftMs: ms(t.ttft, base.timeouts.ttftMs),
      idleMs: ms(t.idle, base.timeouts.idleMs),
      totalMs: ms(t.total, base.timeouts.totalMs),
      clientRequestMs: t.clientRequest ?? base.timeouts.clientRequestMs,
    },
    retries: {
      maxAttempts: r.maxAttempts ?? base.retries.maxAttempts,
      backoffBaseMs: r.backoffBase ?? base.retries.backoffBaseMs,
      backoffMaxMs: r.backoffMax ?? base.retries.backoffMaxMs,
      retryAfterCapMs: r.retryAfterCap ?? (profile === "naive" && r.maxAttempts !== undefined ? full.retries.retryAfterCapMs : base.retries.retryAfterCapMs),
      budget:
        r.budget === false
          ? undefined
          : r.budget === undefined
            ? base.retries.budget
            : { ...budgetBase, ...defined({ ratio: r.budget.ratio, minPerSecond: r.budget.minPerSecond, windowMs: r.budget.window }) },
      discourageClientRetry: r.discourageClientRetry ?? base.retries.discourageClientRetry,
    },
    keyLimits: o.keyLimits ?? base.keyLimits,
    breaker:
      o.breaker === false
        ? undefined
        : o.breaker === undefined
          ? base.breaker
          : {
              ...breakerBase,
              ...defined({ consecutiveFailures: o.breaker.consecutiveFailures, windowMs: o.breaker.window, minRequests: o.breaker.minRequests, failureRate: o.breaker.failureRate, openMs: o.breaker.openFor, halfOpenProbes: o.breaker.halfOpenProbes, maxOpen: o.breaker.maxOpen }),
            },
    balance: o.balance ?? base.balance,
    ewmaDecayMs: o.ewmaDecay ?? base.ewmaDecayMs,
    concurrency:
      o.concurrency === false
        ? undefined
        : o.concurrency === undefined
          ? base.concurrency
          : { ...concurrencyBase, ...defined({ maxInFlight: o.concurrency.maxInFlight, maxQueue: o.concurrency.maxQueue, queueTimeoutMs: o.concurrency.queueTimeout }) },
  };
}

const targetSchema = z.union([identifier, closed({ provider: identifier, weight: z.number().positive().default(1) })]);

/** The gateway config file. */
export const gatewayConfigSchema = closed({
  providers: z
    .array(
      closed({
        name: identifier,
        url: z.string().url(),
        /** The model id sent to this provider in place of the route's name. */
        model: z.string().min(1),
        /** Sent as `authorization: Bearer …` to the provider. */
        apiKey: z.string().optional(),
        /** Connections in the pool to this provider. */
        connections: z.number().int().min(1).max(65_536).default(512),
      }),
    )
    .min(1),
  /** model name → ordered targets (the first is the primary). */
  routes: z.record(z.string().min(1), z.union([z.array(targetSchema).min(1), closed({ targets: z.array(targetSchema).min(1), balance: z.enum(balanceKinds).optional() })])),
  /** Client API keys; without `auth` the gateway is open (every caller is tenant `anonymous`). */
  auth: closed({
    keys: z.array(closed({ key: z.string().min(8), name: identifier, rpm: z.number().positive().optional(), tpm: z.number().positive().optional() })).min(1),
  }).optional(),
  profile: z.enum(["resilient", "naive"]).default("resilient"),
  policy: policyOverridesSchema.prefault({}),
  /** Largest accepted request body, bytes. */
  bodyLimit: z.number().int().positive().default(4 * 1024 * 1024),
  /** Seed of the load balancers' randomness. */
  seed: z.number().int().default(1),
}).superRefine((c, ctx) => {
  const names = new Set(c.providers.map((p) => p.name));
  if (names.size !== c.providers.length) ctx.addIssue({ code: "custom", path: ["providers"], message: "provider names must be unique" });
  for (const [model, route] of Object.entries(c.routes)) {
    const targets = Array.isArray(route) ? route : route.targets;
    targets.forEach((t, i) => {
      const name = typeof t === "string" ? t : t.provider;
      if (!names.has(name)) ctx.addIssue({ code: "custom", path: ["routes", model, ...(Array.isArray(route) ? [] : ["targets"]), i], message: `unknown provider ${name} (providers: ${[...names].join(", ")})` });
    });
  }
});

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfigFile = z.output<typeof gatewayConfigSchema>;

/** A route resolved: targets with weights, and the balancing rule. */
export interface Route {
  model: string;
  targets: { provider: string; weight: number }[];
  balance: Balance;
}

/** What the gateway runs on: the config file with its policy and routes resolved. */
export interface GatewayConfig {
  providers: GatewayConfigFile["providers"];
  routes: Map<string, Route>;
  auth: GatewayConfigFile["auth"];
  policy: GatewayPolicy;
  bodyLimit: number;
  seed: number;
}

export function resolveGatewayConfig(file: GatewayConfigFile): GatewayConfig {
  const policy = resolvePolicy(file.profile, file.policy);
  const routes = new Map<string, Route>();
  for (const [model, route] of Object.entries(file.routes)) {
    const targets = (Array.isArray(route) ? route : route.targets).map((t) => (typeof t === "string" ? { provider: t, weight: 1 } : t));
    routes.set(model, { model, targets, balance: (!Array.isArray(route) && route.balance) || policy.balance });
  }
  return { providers: file.providers, routes, auth: file.auth, policy, bodyLimit: file.bodyLimit, seed: file.seed };
}

/** Parses and resolves a gateway config (throws zod's error on bad input). */
export function gatewayConfig(input: GatewayConfigInput): GatewayConfig {
  return resolveGatewayConfig(gatewayConfigSchema.parse(input));
}

/** A resolved policy written back as overrides in config-file form (so a child gateway resolves exactly it). */
export function policyAsConfig(p: GatewayPolicy): z.input<typeof policyOverridesSchema> {
  const d = (v: number | undefined) => (v === undefined ? (false as const) : `${v}ms`);
  return {
    fallback: p.fallback,
    timeouts: { connect: `${p.timeouts.connectMs}ms`, ttft: d(p.timeouts.ttftMs), idle: d(p.timeouts.idleMs), total: d(p.timeouts.totalMs), clientRequest: `${p.timeouts.clientRequestMs}ms` },
    retries: {
      maxAttempts: p.retries.maxAttempts,
      backoffBase: `${p.retries.backoffBaseMs}ms`,
      backoffMax: `${p.retries.backoffMaxMs}ms`,
      retryAfterCap: `${p.retries.retryAfterCapMs}ms`,
      budget: p.retries.budget ? { ratio: p.retries.budget.ratio, minPerSecond: p.retries.budget.minPerSecond, window: `${p.retries.budget.windowMs}ms` } : false,
      discourageClientRetry: p.retries.discourageClientRetry,
    },
    keyLimits: p.keyLimits,
    breaker: p.breaker ? { consecutiveFailures: p.breaker.consecutiveFailures, window: `${p.breaker.windowMs}ms`, minRequests: p.breaker.minRequests, failureRate: p.breaker.failureRate, openFor: `${p.breaker.openMs}ms`, halfOpenProbes: p.breaker.halfOpenProbes, maxOpen: p.breaker.maxOpen } : false,
    balance: p.balance,
    ewmaDecay: `${p.ewmaDecayMs}ms`,
    concurrency: p.concurrency ? { maxInFlight: p.concurrency.maxInFlight, maxQueue: p.concurrency.maxQueue, queueTimeout: `${p.concurrency.queueTimeoutMs}ms` } : false,
  };
}

/** One line per policy, for `aire plan` and the terminal. */
export function describePolicy(p: GatewayPolicy): string[] {
  const t = (v: number | undefined) => (v === undefined ? "off" : `${v}ms`);
  return [
    `timeouts: connect ${p.timeouts.connectMs}ms, ttft ${t(p.timeouts.ttftMs)}, idle ${t(p.timeouts.idleMs)}, total ${t(p.timeouts.totalMs)}`,
    `attempts: up to ${p.retries.maxAttempts}, fallback ${p.fallback ? "on" : "off"}, backoff ${p.retries.backoffBaseMs}ms..${p.retries.backoffMaxMs}ms (full jitter), retry-after honoured up to ${p.retries.retryAfterCapMs}ms`,
    `retry budget: ${p.retries.budget ? `${Math.round(p.retries.budget.ratio * 100)}% of requests + ${p.retries.budget.minPerSecond}/s over ${p.retries.budget.windowMs}ms` : "off"}; clients ${p.retries.discourageClientRetry ? "told not to retry (x-should-retry: false) once the gateway has" : "left to retry"}`,
    `circuit breaker: ${p.breaker ? `opens after ${p.breaker.consecutiveFailures} failures in a row or at ${Math.round(p.breaker.failureRate * 100)}% failures of ≥${p.breaker.minRequests} attempts in ${p.breaker.windowMs}ms, open ${p.breaker.openMs}ms, ${p.breaker.halfOpenProbes} probes, at most ${Math.round(p.breaker.maxOpen * 100)}% of providers open (at least one)` : "off"}`,
    `per-key limits: ${p.keyLimits ? "enforced" : "not enforced"}; balance: ${p.balance}; concurrency: ${p.concurrency ? `${p.concurrency.maxInFlight} in flight, queue ${p.concurrency.maxQueue} for ≤${p.concurrency.queueTimeoutMs}ms` : "unlimited"}`,
  ];
}

/** The policy with switched-off parts as `null`, for summary.json. */
export function policyJson(p: GatewayPolicy): Record<string, unknown> {
  return JSON.parse(JSON.stringify(p, (_k, v: unknown) => (v === undefined ? null : v)));
}
