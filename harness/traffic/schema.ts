/**
 * The `traffic:` section of a scenario: the model asked for, the arrival process, the workload mix,
 * the tenants and the client. The scenario schema (harness/scenario/schema.ts) composes it; the
 * traffic engine takes its output type.
 * @module
 */
import { z } from "zod";
import { closed, crossCheck, duration, envName, identifier, positiveDuration, rate } from "../base/fields.js";
import { tokenCount } from "./distribution.js";
import { canaryTokens, jsonSchemaProblem } from "./quality.js";

const workloadSchema = closed({
  name: identifier.default("chat"),
  /** chat: one user message; rag: retrieved documents then a question; agent: multi-turn sessions with tool calls. */
  kind: z.enum(["chat", "rag", "agent"]).default("chat"),
  /** Share of the requests; 0 = sent only by the tenants whose own `mix` names it. */
  weight: z.number().nonnegative().default(1),
  stream: z.boolean().default(true),
  /** Agent sessions (kind: agent): turns per session, the pause before each next request, the share of turns that call a tool. */
  session: closed({
    turns: z.union([z.number().int().positive().max(100), z.tuple([z.number().int().positive(), z.number().int().positive().max(100)])]).default([2, 4]),
    thinkTime: duration.prefault("1s"),
    toolCalls: z.number().min(0).max(1).default(0.5),
  })
    .refine((s) => !Array.isArray(s.turns) || s.turns[0] <= s.turns[1], { message: "turns: [min, max] needs min ≤ max", path: ["turns"] })
    .optional(),
  /** Prompt length in tokens: a number, or a distribution (uniform, normal, lognormal, empirical). */
  promptTokens: tokenCount(1_000_000).default(200),
  /** `max_tokens` of each request: a number or a distribution. */
  maxTokens: tokenCount(100_000).default(64),
  /** Answer checks (harness/traffic/quality.ts); a failed check is a `quality` error. */
  quality: closed({
    /** Share of requests (0..1, or true for all) that end with "reply with exactly: <nonce>"; the answer must contain the nonce. */
    canary: z.union([z.boolean(), z.number().min(0).max(1)]).optional(),
    /** Ask for `response_format: json_schema` with this schema; the answer must parse and validate. */
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** The answer's output tokens must be within these bounds. */
    outputTokens: closed({ min: z.number().int().nonnegative().optional(), max: z.number().int().positive().optional() }).optional(),
  })
    .check(crossCheck((q, ctx) => {
      const problem = q.jsonSchema && jsonSchemaProblem(q.jsonSchema);
      if (problem) ctx.addIssue({ code: "custom", path: ["jsonSchema"], message: problem });
      const { min, max } = q.outputTokens ?? {};
      if (min !== undefined && max !== undefined && min > max) ctx.addIssue({ code: "custom", path: ["outputTokens", "min"], message: `min (${min}) is above max (${max})` });
    }))
    .optional(),
}).check(crossCheck((w, ctx) => {
  if (w.session && w.kind !== "agent") ctx.addIssue({ code: "custom", path: ["session"], message: `session is for kind: agent (this workload is ${w.kind})` });
  const canary = w.quality?.canary;
  if (canary !== undefined && canary !== false && canary !== 0 && typeof w.maxTokens === "number" && w.maxTokens < canaryTokens) {
    ctx.addIssue({ code: "custom", path: ["maxTokens"], message: `a canary answer takes ${canaryTokens} tokens (aire-123456789): maxTokens ${w.maxTokens} cuts it off, so every canary would fail` });
  }
}));

const positiveRate = rate.refine((r) => r > 0, "the rate must be above 0");
const process = z.enum(["uniform", "poisson"]).optional();
export const arrivalTypes = ["constant", "poisson", "gamma", "ramp", "steps", "spike", "closed"] as const;

/** When requests are due (see harness/traffic/arrival.ts). Rates carry a unit (`20/s`, `600/m`). */
export const arrivalSchema = z.discriminatedUnion(
  "type",
  [
    /** Evenly spaced (or Poisson with `process: poisson`). */
    closed({ type: z.literal("constant").default("constant"), rate: positiveRate, process }),
    /** Exponential gaps: independent users. */
    closed({ type: z.literal("poisson"), rate: positiveRate }),
    /** Gamma gaps with coefficient of variation `cv`: above 1 is burstier than Poisson. */
    closed({ type: z.literal("gamma"), rate: positiveRate, cv: z.number().positive().max(20) }),
    /** Linear from `from` to `to` over `over` (default: the whole run), then `to`. */
    closed({ type: z.literal("ramp"), from: rate, to: rate, over: duration.optional(), process }).refine((a) => a.from > 0 || a.to > 0, { message: "a ramp from 0/s to 0/s sends nothing", path: ["to"] }),
    /** Piecewise constant; the last step's rate holds until the end. */
    closed({ type: z.literal("steps"), steps: z.array(closed({ rate, for: duration })).min(1, "give at least one step"), process }).refine((a) => a.steps.some((s) => s.rate > 0), { message: "every step has rate 0/s: nothing would be sent", path: ["steps"] }),
    /** `rate`, with `spike.rate` from `spike.at` for `spike.for`. */
    closed({ type: z.literal("spike"), rate, spike: closed({ at: duration, for: duration, rate: positiveRate }), process }),
    /** Closed loop: `vus` users, each sending again `thinkTime` after its answer (session workloads, throughput). */
    closed({ type: z.literal("closed"), vus: z.number().int().positive().max(100_000), thinkTime: duration.prefault("0s") }),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown arrival type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; known types: ${arrivalTypes.join(", ")}`
        : undefined,
  },
);

/** A tenant: its own API key (made per run); shares `traffic.arrival` by weight, or sends on its own `arrival` too. */
const tenantSchema = closed({
  name: identifier,
  /** Share of `traffic.arrival` (among the tenants without an arrival of their own). */
  weight: z.number().positive().default(1),
  /** The tenant's own arrival process, on top of `traffic.arrival` (a noisy tenant, a batch job). */
  arrival: arrivalSchema.optional(),
  /** With an arrival of its own: the workloads it sends (by name; default all of `mix`), e.g. a batch job's oversized prompts. */
  mix: z.array(identifier).min(1).optional(),
  /** With target.url: the environment variable holding this tenant's API key (the reference stack makes keys itself). */
  apiKeyEnv: envName.optional(),
  /** Limits the reference gateway enforces on this tenant's key (OpenAI-style 429s). */
  rpm: z.number().positive().optional(),
  tpm: z.number().positive().optional(),
});

export const trafficSchema = closed({
  /** The model name requests ask the gateway for. */
  model: z.string().min(1).default("aire-chat"),
  arrival: arrivalSchema,
  mix: z.array(workloadSchema).min(1).prefault([{}]),
  /** Tenants, each with its own API key; none = one anonymous caller. */
  tenants: z.array(tenantSchema).default([]),
  client: closed({
    /** An attempt still running after this time counts as a `timeout` error. */
    timeout: positiveDuration.prefault("60s"),
    /** Connections to the target (one undici Pool); requests beyond them wait for a free one, and that wait counts in every latency. */
    connections: z.number().int().positive().max(65_536).default(1024),
    /** Connections opened (with `GET /v1/models`) before the timeline starts, so the first measured requests do not pay a TCP connect. */
    warmConnections: z.number().int().min(0).max(65_536).default(16),
    /** Client retries after the first attempt, with openai-node's policy (retry-after honoured, else 0.5·2^k s backoff); 0 = none. */
    retries: z.number().int().min(0).max(10).default(0),
    /** The user gives up when no first token arrived this long after the intended send time (class `timeout`, `abandoned`). */
    abandonAfterTtft: duration.optional(),
  }).prefault({}),
}).check(crossCheck((t, ctx) => {
  const names = new Set<string>();
  t.tenants.forEach((tenant, i) => {
    if (names.has(tenant.name)) ctx.addIssue({ code: "custom", path: ["tenants", i, "name"], message: `tenant "${tenant.name}" is defined twice` });
    names.add(tenant.name);
    if (tenant.arrival?.type === "closed") ctx.addIssue({ code: "custom", path: ["tenants", i, "arrival", "type"], message: "a tenant's own arrival must be open-loop (constant, poisson, gamma, ramp, steps or spike)" });
  });
  const workloads = t.mix.map((w) => w.name);
  t.mix.forEach((w, i) => {
    if (workloads.indexOf(w.name) < i) ctx.addIssue({ code: "custom", path: ["mix", i, "name"], message: `workload "${w.name}" is defined twice` });
  });
  t.tenants.forEach((tenant, i) => {
    if (!tenant.mix) return;
    if (!tenant.arrival) ctx.addIssue({ code: "custom", path: ["tenants", i, "mix"], message: "a tenant's own mix needs an arrival of its own (tenants without one share traffic.arrival and its mix)" });
    tenant.mix.forEach((name, j) => {
      if (!workloads.includes(name)) ctx.addIssue({ code: "custom", path: ["tenants", i, "mix", j], message: `no workload named "${name}" (workloads: ${workloads.join(", ")})` });
    });
  });
  if (t.mix.every((w) => w.weight === 0)) ctx.addIssue({ code: "custom", path: ["mix"], message: "the mix's weights add up to 0: traffic.arrival could draw no workload" });
  t.mix.forEach((w, i) => {
    if (w.weight === 0 && !t.tenants.some((tenant) => tenant.mix?.includes(w.name))) ctx.addIssue({ code: "custom", path: ["mix", i, "weight"], message: `workload "${w.name}" has weight 0 and no tenant's own mix names it: it would never be sent` });
  });
  if (t.tenants.length > 0 && t.tenants.every((tenant) => tenant.arrival)) {
    ctx.addIssue({ code: "custom", path: ["tenants"], message: "every tenant has an arrival of its own, so nobody would send traffic.arrival: leave at least one tenant without one" });
  }
}));

export type TrafficSection = z.output<typeof trafficSchema>;

/**
 * Whether this traffic asks for answers a provider must cut at exact o200k token boundaries: canary
 * answers (the nonce), JSON-schema answers and tool calls' arguments. Plain answers are single-token
 * words and need no tokenizer; the reference stack's pods build it at start only when this is true.
 */
export function needsExactPieces(traffic: TrafficSection): boolean {
  return traffic.mix.some((w) => w.kind === "agent" || w.quality?.jsonSchema !== undefined || (w.quality?.canary !== undefined && w.quality.canary !== false && w.quality.canary !== 0));
}
export type WorkloadSpec = TrafficSection["mix"][number];
export type TenantSpec = TrafficSection["tenants"][number];
