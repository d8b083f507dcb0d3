/**
 * Request plans: every random draw of a request (its workload, tenant, prompt, lengths, quality
 * check) and its body, built ahead of its due time so that sending it costs only the send. Agent
 * sessions plan each later turn from their own seeded stream when the earlier turn is answered.
 * The order of draws is the run's identity: a seed gives the same requests every time.
 * @module
 */
import { hashString, seededRandom, type Random } from "../base/random/prng.js";
import { HarnessError } from "../base/errors.js";
import { drawTokens } from "./distribution.js";
import type { PromptBook } from "./prompts.js";
import { ajvErrors, compileSchema, QualityPlanner, type QualityCheck } from "./quality.js";
import type { RequestPlan } from "./request.js";
import { AgentSession, ragMessages, toolParameters, type Message } from "./session.js";
import type { TrafficSection, WorkloadSpec } from "./schema.js";

const toolValidators = new Map([...toolParameters].map(([name, schema]) => [name, compileSchema(schema)]));

/** A tool turn's answer must be a call whose arguments parse and satisfy the tool's schema. */
const toolCallCheck: QualityCheck = (text, sample) => {
  if (!sample.toolCall) return "a tool call was required, but the answer is text";
  const schema = toolParameters.get(sample.toolCall);
  if (!schema) return `the answer calls ${sample.toolCall}, which was not offered`;
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch {
    return `the arguments of ${sample.toolCall} are not JSON: ${JSON.stringify(text.slice(0, 60))}`;
  }
  const validate = toolValidators.get(sample.toolCall)!;
  return validate(args) ? undefined : `the arguments of ${sample.toolCall} do not match its schema: ${ajvErrors(validate)}`;
};

/** A scenario's traffic block; `tenants` and each workload's `kind` (chat) may be left out. */
export type TrafficSpec = Omit<TrafficSection, "tenants" | "mix"> & {
  tenants?: TrafficSection["tenants"];
  mix: (Omit<WorkloadSpec, "kind"> & { kind?: WorkloadSpec["kind"] })[];
};

type Tenant = { name: string; weight: number; headers: Record<string, string> };

/** A source of requests: its random draws and the tenants it picks from (by weight; none = anonymous). */
export interface Stream {
  random: Random;
  tenants: readonly Tenant[];
  /** The workloads it sends (indices into the mix) with their weights: a tenant's own `mix`, else the whole mix. */
  mix: { indices: readonly number[]; weights: readonly number[]; total: number };
}

/** An agent session in flight: what its next request needs. */
export interface SessionContext {
  session: AgentSession;
  /** Its workload, by index in the mix. */
  index: number;
  tenant: Tenant | undefined;
  thinkTime: number;
}

function pickTenant(stream: Stream): Tenant | undefined {
  const { tenants } = stream;
  // One tenant (or none) draws nothing, so adding a single tenant does not move the other draws.
  if (tenants.length <= 1) return tenants[0];
  let pick = stream.random() * tenants.reduce((sum, t) => sum + t.weight, 0);
  return tenants.find((t) => (pick -= t.weight) < 0) ?? tenants.at(-1);
}

const headersFor = (key: string | undefined): Record<string, string> => ({ "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) });

export interface PlannerOptions {
  traffic: TrafficSpec;
  seed: number;
  /** performance.now() at which offset 0 is due. */
  start: number;
  phases: readonly { name: string; duration: number }[];
  books: readonly PromptBook[];
  apiKey?: string;
  tenantKeys?: Readonly<Record<string, string>>;
  /**
   * This process's share of the requests (`aire run --workers N`): of the one sequence of scheduled
   * requests, it sends those whose index i has i mod count = index, and draws the others only to
   * keep every stream where it would be. Default: all of them.
   */
  segment?: Segment;
  /** The run's request limit: a session's later turns are numbered from it (default 1,000,000). */
  maxRequests?: number;
  /** A game day's phase clock: a request's phase is the one the clock has at its offset. */
  clock?: { planAt(wallOffset: number): number };
}

/** One of `count` equal execution segments, striped: request i belongs to segment i mod count. */
export interface Segment {
  index: number;
  count: number;
}

export class RequestPlanner {
  /** The tenants with their headers (each key from `tenantKeys`). */
  readonly tenants: readonly (NonNullable<TrafficSpec["tenants"]>[number] & { headers: Record<string, string> })[];
  /** Total duration of the phases, ms. */
  readonly total: number;
  /** Requests this process planned to send (its scheduled requests and its sessions' later turns). */
  issued = 0;
  /** Scheduled requests drawn so far, every segment's: the next one's id. */
  drawn = 0;
  /** This process's share of the run's request limit. */
  readonly limit: number;
  readonly segment: Segment;
  #turns = 0;
  readonly #o: PlannerOptions;
  readonly #bounds: { name: string; end: number }[];
  readonly #quality: QualityPlanner[];
  // Retry jitter draws from its own stream: retries happen in completion order, which must not move the other draws.
  readonly #retryRandom: Random;
  readonly #anonymous: Record<string, string>;
  readonly #model: string;

  constructor(options: PlannerOptions) {
    this.#o = options;
    const { traffic } = options;
    this.tenants = (traffic.tenants ?? []).map((t) => {
      const key = options.tenantKeys?.[t.name];
      if (key === undefined) throw new HarnessError("USAGE", { message: `no API key for tenant "${t.name}"` });
      return { ...t, headers: headersFor(key) };
    });
    this.#retryRandom = seededRandom(hashString("retry", options.seed));
    this.#quality = traffic.mix.map((w) => new QualityPlanner(w.quality));
    this.#bounds = options.phases.reduce<{ name: string; end: number }[]>((acc, p) => [...acc, { name: p.name, end: (acc.at(-1)?.end ?? 0) + p.duration }], []);
    this.total = this.#bounds.at(-1)?.end ?? 0;
    this.#anonymous = headersFor(options.apiKey);
    this.#model = JSON.stringify(traffic.model);
    this.segment = options.segment ?? { index: 0, count: 1 };
    const max = options.maxRequests ?? 1_000_000;
    this.limit = Math.ceil((max - this.segment.index) / this.segment.count);
  }

  /** True when scheduled request `i` (its index among all segments' requests) is this process's to send. */
  owns(i: number): boolean {
    return i % this.segment.count === this.segment.index;
  }

  /** Draws the next scheduled request without sending it (another segment's): every stream moves on as if it had been planned here. */
  skip(offset: number, stream: Stream): void {
    this.plan(offset, stream);
    this.issued--;
  }

  /** Plans this process's next scheduled request of `stream` (drawing, and skipping, the other segments' before it): for a closed loop. */
  planOwn(offset: number, stream: Stream): RequestPlan {
    while (!this.owns(this.drawn)) this.skip(offset, stream);
    return this.plan(offset, stream);
  }

  /** The shared arrival's stream: it draws from the run's seed (as without tenants), for the tenants without an arrival of their own. */
  mainStream(): Stream {
    return { random: seededRandom(this.#o.seed), tenants: this.tenants.filter((t) => !t.arrival), mix: this.#mixOf() };
  }

  /** A tenant with an arrival of its own: its draws come from its name. */
  tenantStream(tenant: RequestPlanner["tenants"][number]): Stream {
    return { random: seededRandom(hashString(`tenant:${tenant.name}`, this.#o.seed)), tenants: [tenant], mix: this.#mixOf(tenant.mix) };
  }

  #mixOf(names?: readonly string[]): Stream["mix"] {
    const { mix } = this.#o.traffic;
    const indices = mix.flatMap((w, i) => (names === undefined || names.includes(w.name) ? [i] : []));
    let weights = indices.map((i) => mix[i]!.weight);
    // Weight 0 keeps a workload out of the shared draw; a tenant's mix of only such workloads draws them evenly.
    if (weights.every((w) => w === 0)) weights = weights.map(() => 1);
    return { indices, weights, total: weights.reduce((sum, w) => sum + w, 0) };
  }

  /** The phase of a request due `offset` ms after start. */
  phaseAt(offset: number): string {
    // From the offset, not from due − start: that difference of large floats puts a request due
    // exactly on a phase boundary into the phase before it.
    const at = this.#o.clock ? this.#o.clock.planAt(offset) : offset;
    return this.#bounds.find((b) => at < b.end)?.name ?? this.#bounds.at(-1)!.name;
  }

  /** Plans the request due `offset` ms after start, drawing from `stream`. */
  plan(offset: number, stream: Stream): RequestPlan {
    const { traffic, seed, start, books } = this.#o;
    const { random } = stream;
    const phase = this.phaseAt(offset);
    // A workload of weight 0 is never drawn here: only a tenant whose own mix names it sends it.
    const { indices, weights, total } = stream.mix;
    let pick = random() * total;
    let k = 0;
    while (k < indices.length - 1 && (pick -= weights[k]!) >= 0) k++;
    while (weights[k] === 0) k--; // float rounding past the end lands on the last drawable workload
    const index = indices[k]!;
    const workload = traffic.mix[index]!;
    const tenant = pickTenant(stream);
    if (workload.kind === "agent") {
      // A new session: its draws come from its own stream, so later turns (sent whenever the
      // earlier ones finish) do not move the draws of the other requests.
      const id = this.drawn;
      const spec = workload.session ?? { turns: [2, 4] as [number, number], thinkTime: 1000, toolCalls: 0.5 };
      const sessionRandom = seededRandom(hashString(`session:${id}`, seed));
      const turns = Array.isArray(spec.turns) ? spec.turns[0] + Math.floor(sessionRandom() * (spec.turns[1] - spec.turns[0] + 1)) : spec.turns;
      return this.agentTurn({ session: new AgentSession(id, sessionRandom, turns, spec.toolCalls), index, tenant, thinkTime: spec.thinkTime }, offset, true);
    }
    const promptTokens = drawTokens(workload.promptTokens, random);
    const maxTokens = drawTokens(workload.maxTokens, random);
    const check = this.#quality[index]!.plan(random);
    let body: string;
    if (workload.kind === "rag") {
      const messages = ragMessages(books[index]!, promptTokens, random);
      if (check.suffix) messages[1]!.content += check.suffix;
      body = this.#body(messages, maxTokens, workload.stream, check.responseFormat);
    } else {
      const prompt = books[index]!.prompt(promptTokens, random);
      // The body as text: the same JSON as JSON.stringify of the object, without building the object.
      body = `{"model":${this.#model},"messages":[{"role":"user","content":${JSON.stringify(check.suffix ? prompt + check.suffix : prompt)}}],"max_tokens":${maxTokens},"stream":${workload.stream}`;
      if (workload.stream) body += ',"stream_options":{"include_usage":true}';
      if (check.responseFormat) body += `,"response_format":${JSON.stringify(check.responseFormat)}`;
      body += "}";
    }
    this.issued++;
    const plan: RequestPlan = {
      id: this.drawn++,
      phase,
      workload: workload.name,
      scheduled: start + offset,
      origin: start,
      body,
      stream: workload.stream,
      headers: tenant?.headers ?? this.#anonymous,
      timeoutMs: traffic.client.timeout,
      retries: traffic.client.retries,
      random: this.#retryRandom,
      promptTokens,
    };
    if (traffic.client.abandonAfterTtft !== undefined) plan.abandonAfterTtftMs = traffic.client.abandonAfterTtft;
    if (check.check) plan.check = check.check;
    if (tenant) plan.tenant = tenant.name;
    return plan;
  }

  #body(messages: readonly Message[], maxTokens: number, streamed: boolean, responseFormat?: unknown, tools?: { tools: unknown; choice: string }): string {
    return JSON.stringify({
      model: this.#o.traffic.model,
      messages,
      max_tokens: maxTokens,
      stream: streamed,
      ...(streamed ? { stream_options: { include_usage: true } } : {}),
      ...(responseFormat ? { response_format: responseFormat } : {}),
      ...(tools ? { tools: tools.tools, tool_choice: tools.choice } : {}),
    });
  }

  /** The next request of an agent session: its history so far, then a user message or a tool's result. */
  agentTurn(ctx: SessionContext, offset: number, first = false): RequestPlan {
    const { traffic, start, books } = this.#o;
    const { session, index } = ctx;
    const workload = traffic.mix[index]!;
    const { random } = session;
    const book = books[index]!;
    let promptTokens = 0;
    const check = this.#quality[index]!.plan(random);
    const next = session.next(() => {
      promptTokens = drawTokens(workload.promptTokens, random);
      return book.prompt(promptTokens, random) + check.suffix;
    });
    const maxTokens = drawTokens(workload.maxTokens, random);
    // A session's first request is a scheduled one (its id is its index); its later turns come when
    // the earlier ones are answered, numbered from the request limit up, striped like the segments.
    this.issued++;
    const plan: RequestPlan = {
      id: first ? this.drawn++ : (this.#o.maxRequests ?? 1_000_000) + this.#turns++ * this.segment.count + this.segment.index,
      phase: this.phaseAt(offset),
      workload: workload.name,
      scheduled: start + offset,
      origin: start,
      body: this.#body(next.messages, maxTokens, workload.stream, undefined, next.tools ? { tools: next.tools, choice: next.toolChoice! } : undefined),
      stream: workload.stream,
      headers: ctx.tenant?.headers ?? this.#anonymous,
      timeoutMs: traffic.client.timeout,
      retries: traffic.client.retries,
      random: this.#retryRandom,
      keepReply: true,
      session: session.id,
      turn: session.turn,
      sessionContext: ctx,
    };
    if (promptTokens > 0) plan.promptTokens = promptTokens;
    if (traffic.client.abandonAfterTtft !== undefined) plan.abandonAfterTtftMs = traffic.client.abandonAfterTtft;
    if (ctx.tenant) plan.tenant = ctx.tenant.name;
    // A turn that asked for a tool must get a call with arguments its schema accepts; the others
    // are checked as the workload says.
    plan.check = next.toolTurn ? toolCallCheck : next.step === "user" ? check.check : undefined;
    if (!plan.check) delete plan.check;
    return plan;
  }
}
