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
  name: identifier.default("chat").meta({ description: "The workload's name: scoped assertions (`ttft.p95{workload=rag}`) and tenants' own mixes use it.", example: "rag" }),
  kind: z.enum(["chat", "rag", "agent"]).default("chat").meta({ description: "`chat`: one user message; `rag`: retrieved documents, then a question; `agent`: sessions of several turns with tool calls.", example: "rag" }),
  weight: z.number().nonnegative().default(1).meta({ description: "Its share of `traffic.arrival`'s requests, relative to the other workloads' weights; 0: sent only by the tenants whose own `mix` names it.", example: 3 }),
  stream: z.boolean().default(true).meta({ description: "Ask for a streamed answer (server-sent events): time to first token and gaps between tokens are measured.", example: false }),
  session: closed({
    turns: z.union([z.number().int().positive().max(100), z.tuple([z.number().int().positive(), z.number().int().positive().max(100)])]).default([2, 4]).meta({ description: "Turns per session: a number, or [min, max] drawn uniformly.", example: [3, 6] }),
    thinkTime: duration.prefault("1s").meta({ description: "The pause between an answer and the session's next request.", example: "2s" }),
    toolCalls: z.number().min(0).max(1).default(0.5).meta({ description: "The share of turns that offer a tool and ask for a call (its result is sent back in the next turn).", example: 0.3 }),
  })
    .refine((s) => !Array.isArray(s.turns) || s.turns[0] <= s.turns[1], { message: "turns: [min, max] needs min ≤ max", path: ["turns"] })
    .optional()
    .meta({ description: "With kind agent: the sessions' turns, pauses and tool calls.", example: { turns: [2, 4], thinkTime: "1s", toolCalls: 0.5 } }),
  promptTokens: tokenCount(1_000_000).default(200).meta({ description: "Prompt length in tokens: a number, or a distribution (uniform, normal, lognormal, empirical).", example: { dist: "lognormal", median: 400, p99: 4000 } }),
  maxTokens: tokenCount(100_000).default(64).meta({ description: "The requests' max_tokens: a number, or a distribution.", example: 256 }),
  quality: closed({
    canary: z.union([z.boolean(), z.number().min(0).max(1)]).optional().meta({ description: "The share of requests (0 to 1, or true for all) that end with \"reply with exactly: <nonce>\"; an answer without the nonce is a quality error.", example: 0.1 }),
    jsonSchema: z.record(z.string(), z.unknown()).optional().meta({ description: "Ask for `response_format: json_schema` with this schema; an answer that does not parse or validate is a quality error.", example: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] } }),
    outputTokens: closed({
      min: z.number().int().nonnegative().optional().meta({ description: "Fewest output tokens an answer may have.", example: 1 }),
      max: z.number().int().positive().optional().meta({ description: "Most output tokens an answer may have.", example: 512 }),
    }).optional().meta({ description: "Bounds on the answer's output tokens; outside them is a quality error.", example: { min: 1 } }),
  })
    .check(crossCheck((q, ctx) => {
      const problem = q.jsonSchema && jsonSchemaProblem(q.jsonSchema);
      if (problem) ctx.addIssue({ code: "custom", path: ["jsonSchema"], message: problem });
      const { min, max } = q.outputTokens ?? {};
      if (min !== undefined && max !== undefined && min > max) ctx.addIssue({ code: "custom", path: ["outputTokens", "min"], message: `min (${min}) is above max (${max})` });
    }))
    .optional()
    .meta({ description: "Checks of each answer (harness/traffic/quality.ts); a failed check is an error of class `quality`, though the status was 200.", example: { canary: 0.1 } }),
}).check(crossCheck((w, ctx) => {
  if (w.session && w.kind !== "agent") ctx.addIssue({ code: "custom", path: ["session"], message: `session is for kind: agent (this workload is ${w.kind})` });
  const canary = w.quality?.canary;
  if (canary !== undefined && canary !== false && canary !== 0 && typeof w.maxTokens === "number" && w.maxTokens < canaryTokens) {
    ctx.addIssue({ code: "custom", path: ["maxTokens"], message: `a canary answer takes ${canaryTokens} tokens (aire-123456789): maxTokens ${w.maxTokens} cuts it off, so every canary would fail` });
  }
})).meta({ description: "A kind of request: its prompt and answer sizes, streaming, sessions and answer checks." });

export const arrivalTypes = ["constant", "poisson", "gamma", "ramp", "steps", "spike", "closed"] as const;

const positiveRate = rate.refine((r) => r > 0, "the rate must be above 0");
const process = z.enum(["uniform", "poisson"]).optional().meta({ description: "How the requests are spaced at each moment's rate: `uniform` (evenly, the default) or `poisson` (exponential gaps).", example: "poisson" });
const typeOf = <T extends string>(type: T, description: string) => z.literal(type).meta({ description, example: type });
const rateOf = (description: string, example: string) => positiveRate.meta({ description, example });

/** When requests are due (see harness/traffic/arrival.ts). Rates carry a unit (`20/s`, `600/m`). */
export const arrivalSchema = z.discriminatedUnion(
  "type",
  [
    closed({ type: z.literal("constant").default("constant").meta({ description: "Evenly spaced requests (the default type).", example: "constant" }), rate: rateOf("Requests per second (or per minute: `600/m`).", "10/s"), process }).meta({ description: "A constant rate, evenly spaced (or Poisson with `process: poisson`)." }),
    closed({ type: typeOf("poisson", "Exponential gaps: independent users."), rate: rateOf("The mean rate.", "10/s") }).meta({ description: "A Poisson process: exponential gaps, as independent users send." }),
    closed({ type: typeOf("gamma", "Gamma gaps."), rate: rateOf("The mean rate.", "10/s"), cv: z.number().positive().max(20).meta({ description: "The gaps' coefficient of variation: 1 is Poisson, above 1 burstier.", example: 2 }) }).meta({ description: "Gamma-distributed gaps: bursts when cv is above 1." }),
    closed({
      type: typeOf("ramp", "A linear ramp."),
      from: rate.meta({ description: "The rate at the start.", example: "5/s" }),
      to: rate.meta({ description: "The rate at the end of the ramp, held after it.", example: "50/s" }),
      over: duration.optional().meta({ description: "How long the ramp takes (default: the whole run).", example: "60s" }),
      process,
    })
      .refine((a) => a.from > 0 || a.to > 0, { message: "a ramp from 0/s to 0/s sends nothing", path: ["to"] })
      .meta({ description: "A rate rising (or falling) linearly from `from` to `to` over `over`, then `to`." }),
    closed({
      type: typeOf("steps", "Piecewise constant rates."),
      steps: z
        .array(closed({ rate: rate.meta({ description: "The step's rate.", example: "20/s" }), for: duration.meta({ description: "How long the step lasts.", example: "30s" }) }))
        .min(1, "give at least one step")
        .meta({ description: "The steps in order; the last one's rate holds until the end.", example: [{ rate: "10/s", for: "30s" }, { rate: "40/s", for: "30s" }] }),
      process,
    })
      .refine((a) => a.steps.some((s) => s.rate > 0), { message: "every step has rate 0/s: nothing would be sent", path: ["steps"] })
      .meta({ description: "Piecewise constant rates; the last step's rate holds until the end." }),
    closed({
      type: typeOf("spike", "A base rate with a spike."),
      rate: rate.meta({ description: "The base rate.", example: "10/s" }),
      spike: closed({
        at: duration.meta({ description: "When the spike starts, from the timeline's start.", example: "20s" }),
        for: duration.meta({ description: "How long it lasts.", example: "5s" }),
        rate: rateOf("The rate during the spike.", "100/s"),
      }).meta({ description: "The spike: its start, length and rate.", example: { at: "20s", for: "5s", rate: "100/s" } }),
      process,
    }).meta({ description: "`rate`, with `spike.rate` from `spike.at` for `spike.for`." }),
    closed({
      type: typeOf("closed", "A closed loop of users."),
      vus: z.number().int().positive().max(100_000).meta({ description: "Virtual users, each with one request in flight at a time.", example: 16 }),
      thinkTime: duration.prefault("0s").meta({ description: "Each user's pause between an answer and its next request.", example: "500ms" }),
    }).meta({ description: "A closed loop: `vus` users, each sending again `thinkTime` after its answer (sessions, throughput; no rate to hold)." }),
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
  name: identifier.meta({ description: "The tenant's name: scoped assertions (`availability{tenant=batch}`) use it.", example: "batch" }),
  weight: z.number().positive().default(1).meta({ description: "Its share of `traffic.arrival`, among the tenants without an arrival of their own.", example: 2 }),
  arrival: arrivalSchema.optional().meta({ description: "The tenant's own arrival process, on top of `traffic.arrival` (a noisy tenant, a batch job); open-loop only.", example: { type: "constant", rate: "30/s" } }),
  mix: z.array(identifier).min(1).optional().meta({ description: "With an arrival of its own: the workloads it sends, by name (default: all of `traffic.mix`).", example: ["long-prompt"] }),
  apiKeyEnv: envName.optional().meta({ description: "With target.url: the environment variable that holds this tenant's key (the reference stack makes its keys itself).", example: "BATCH_API_KEY" }),
  rpm: z.number().positive().optional().meta({ description: "Requests per minute the reference gateway allows this tenant's key (429s past it).", example: 120 }),
  tpm: z.number().positive().optional().meta({ description: "Tokens per minute the reference gateway allows this tenant's key (429s past it).", example: 100000 }),
}).meta({ description: "A caller with its own API key, sharing `traffic.arrival` by weight or sending on an arrival of its own." });

export const trafficSchema = closed({
  model: z.string().min(1).default("aire-chat").meta({ description: "The model name the requests ask the gateway for.", example: "gpt-4o-mini" }),
  arrival: arrivalSchema.meta({ description: "When requests are due: an open-loop process at a rate (constant, poisson, gamma, ramp, steps, spike), or a closed loop of users.", example: { type: "poisson", rate: "10/s" } }),
  mix: z.array(workloadSchema).min(1).prefault([{}]).meta({ description: "The workloads, drawn by weight for each request.", example: [{ name: "chat", weight: 3 }, { name: "rag", kind: "rag", weight: 1, stream: false }] }),
  tenants: z.array(tenantSchema).default([]).meta({ description: "Callers, each with its own API key; none: one anonymous caller.", example: [{ name: "web", weight: 3 }, { name: "batch", arrival: { type: "constant", rate: "30/s" } }] }),
  client: closed({
    timeout: positiveDuration.prefault("60s").meta({ description: "An attempt still running after this long is an error of class `timeout`.", example: "30s" }),
    connections: z.number().int().positive().max(65_536).default(1024).meta({ description: "Connections to the target (one undici pool); requests beyond them wait for a free one, and that wait counts in every latency.", example: 256 }),
    warmConnections: z.number().int().min(0).max(65_536).default(16).meta({ description: "Connections opened (with `GET /v1/models`) before the timeline starts, so the first measured requests do not pay a TCP connect.", example: 32 }),
    retries: z.number().int().min(0).max(10).default(0).meta({ description: "Client retries after the first attempt, with the openai client's policy (retry-after honoured, else 0.5·2^k s backoff); 0: none.", example: 2 }),
    abandonAfterTtft: duration.optional().meta({ description: "The user gives up when no first token arrived this long after the intended send time (class `timeout`, counted as abandoned).", example: "10s" }),
  }).prefault({}).meta({ description: "The synthetic users' HTTP client.", example: { timeout: "30s", retries: 2 } }),
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
})).meta({ description: "The synthetic LLM traffic: the model, the arrival process, the workload mix, the tenants and the client.", example: { model: "aire-chat", arrival: { type: "poisson", rate: "10/s" }, mix: [{ name: "chat", promptTokens: 200, maxTokens: 64 }] } });

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
