/*AIRE:HEADER*/
// @ts-check
//
// The part of every script `aire export k6` writes that does not depend on the scenario: sending
// one logical request (the client's retries included), reading the answer, recording what aire
// measures. It runs inside k6 (goja), so it keeps to plain ES2017: no `?.`, no `??`.
// The contract with `aire ingest k6`: tags `phase`, `workload`, `tenant`; the VU metadata `rid`
// (one per logical request) on every point; the metrics below, each named `aire_*`.
import http from "k6/http";
import exec from "k6/execution";
import { sleep } from "k6";
import { SharedArray } from "k6/data";
import { Counter, Rate, Trend } from "k6/metrics";
import { attemptsOf, checkAnswer, classOf, finishStream, header, newStreamState, readAnswer, readChunk, retryable, retryAfter } from "./aire-answer.js";
/*AIRE:SSE_IMPORT*/

/**
 * @typedef {import("./aire-answer.js").Workload} Workload
 * @typedef {import("./aire-answer.js").Outcome} Outcome
 */

/**
 * @typedef {object} Turn
 * @property {string} user              the user's message
 * @property {number} maxTokens
 * @property {boolean} tool             the turn requires a tool call (tool_choice: required)
 * @property {string} toolResult        what the tool answers
 * @property {string | null} nonce      the canary the answer must contain
 *
 * @typedef {object} Entry
 * @property {number} w                 workload (index)
 * @property {number} t                 tenant (index; -1: the anonymous caller)
 * @property {string} [b]               the request body (chat, rag)
 * @property {string | null} [n]        its canary
 * @property {Turn[]} [s]               an agent session's turns
 *
 * @typedef {{ metric: "ttft" | "ttfb" | "e2e" | "tpot" | "max_stall", op: "<" | "<=", ms: number }} GoodputCondition
 *
 * @typedef {object} Config
 * @property {string} scenario
 * @property {string | null} url        the target's base URL (…/v1); AIRE_TARGET_URL overrides it
 * @property {string} model
 * @property {{ name: string, end: number }[]} phases   phase ends, ms from the start of the test
 * @property {Workload[]} workloads
 * @property {{ name: string, keyEnv: string }[]} tenants
 * @property {string | null} keyEnv     the anonymous caller's key variable (sent when set)
 * @property {boolean} keyRequired      the anonymous key must be set
 * @property {string[]} errorClasses    classes with an `aire_error_<class>` rate (a threshold names them)
 * @property {GoodputCondition[][]} goodput   conditions of each `aire_goodput_<i>` rate
 * @property {number} timeoutMs
 * @property {number} retries           client retries after the first attempt (openai-node's policy)
 * @property {string} systemPrompt      an agent session's system message
 * @property {unknown[]} tools          the tools an agent session offers
 * @property {string} data              the request file, next to the script
 * @property {Record<string, number>} thinkTimeMs   closed-loop sources: the pause after each answer
 * @property {import("k6/options").Options} options

 */

/*AIRE:CONFIG*/

export const options = CONFIG.options;

const BASE = (__ENV.AIRE_TARGET_URL || CONFIG.url || "").replace(/\/$/, "").replace(/\/v1$/, "");
const ENDPOINT = BASE + "/v1/chat/completions";

/** @param {string | null} name */
function key(name) {
  if (name === null) return null;
  const value = __ENV[name];
  return value === undefined || value === "" ? null : value;
}

/**
 * What the run needs from its environment, checked when the first iteration starts and not at
 * init: k6-operator's initializer archives the script (`k6 archive`) without the runners' env.
 * A missing target or required key stops the whole test with the reason.
 */
let envChecked = false;
function checkEnv() {
  if (envChecked) return;
  envChecked = true;
  if (BASE === "") exec.test.abort("aire: set the target with -e AIRE_TARGET_URL=http://host:port/v1 (the scenario names none)");
  const required = (CONFIG.keyRequired ? [CONFIG.keyEnv] : []).concat(CONFIG.tenants.map(function (t) { return t.keyEnv; }));
  for (const name of required) {
    if (name !== null && key(name) === null) exec.test.abort("aire: the API key variable " + name + " is not set (pass -e " + name + "=… or set it in the environment)");
  }
}
/** @param {string | null} apiKey @returns {Record<string, string>} */
function headersFor(apiKey) {
  /** @type {Record<string, string>} */
  const h = { "content-type": "application/json" };
  if (apiKey !== null) h.authorization = "Bearer " + apiKey;
  return h;
}
const anonymous = headersFor(key(CONFIG.keyEnv));
const tenantHeaders = CONFIG.tenants.map(function (t) { return headersFor(key(t.keyEnv)); });

/** One shared array per k6 scenario (a traffic source), read once per runner. */
/** @type {Record<string, Entry[]>} */
const DATA = {};
for (const name of Object.keys(CONFIG.options.scenarios || {})) {
  DATA[name] = new SharedArray("aire:" + name, function () {
    /** @type {Record<string, Entry[]>} */
    const all = JSON.parse(open(CONFIG.data));
    return all[name] || [];
  });
}

const okRate = new Rate("aire_ok");
const e2e = new Trend("aire_e2e", true);
const e2eAny = new Trend("aire_e2e_any", true);
const ttfb = new Trend("aire_ttfb", true);
const ttft = new Trend("aire_ttft", true);
const tpot = new Trend("aire_tpot", true);
const itl = new Trend("aire_itl", true);
const maxStall = new Trend("aire_max_stall", true);
const outputTokens = new Counter("aire_output_tokens");
const promptTokens = new Counter("aire_prompt_tokens");
const upstreamAttempts = new Counter("aire_upstream_attempts");
const attemptsCount = new Counter("aire_attempts");
/** @type {Record<string, Rate>} */
const classRates = {};
for (const c of CONFIG.errorClasses) classRates[c] = new Rate("aire_error_" + c);
const goodputRates = CONFIG.goodput.map(function (_, i) { return new Rate("aire_goodput_" + i); });

/** The phase a request started in, by the time since the test began. */
function phaseNow() {
  const elapsed = Date.now() - exec.scenario.startTime;
  for (const p of CONFIG.phases) if (elapsed < p.end) return p.name;
  return CONFIG.phases[CONFIG.phases.length - 1].name;
}

/**
 * One attempt through k6/http: the answer arrives whole, so a stream's first token and the gaps
 * between tokens cannot be seen (k6's `waiting` is the time to the headers, which LLM servers send at once).
 * @param {string} body @param {Record<string, string>} headers @param {Record<string, string>} tags @param {boolean} stream
 * @returns {Outcome}
 */
function attemptHttp(body, headers, tags, stream) {
  const res = http.post(ENDPOINT, body, { headers: headers, tags: tags, timeout: CONFIG.timeoutMs + "ms", responseType: "text" });
  const t = res.timings;
  const out = readAnswer(res.status, res.headers, typeof res.body === "string" ? res.body : "", stream);
  const before = t.blocked + t.connecting + t.tls_handshaking;
  out.ttfbMs = before + t.sending + t.waiting;
  if (res.status === 0) {
    out.error = res.error_code === 1050 ? "timeout" : "connect";
    out.detail = res.error;
  } else if (out.error === null && !stream) out.ttftMs = before + t.duration;
  return out;
}

/*AIRE:SSE_ATTEMPT*/

/**
 * Sends one logical request (with the client's retries) and records it.
 * @param {string} body @param {Workload} workload @param {number} tenant @param {string | null} nonce @param {boolean} toolTurn @param {string} rid
 */
function send(body, workload, tenant, nonce, toolTurn, rid) {
  const phase = phaseNow();
  /** @type {Record<string, string>} */
  const tags = { name: "chat_completions", phase: phase, workload: workload.name };
  if (tenant >= 0) tags.tenant = CONFIG.tenants[tenant].name;
  const headers = tenant >= 0 ? tenantHeaders[tenant] : anonymous;
  exec.vu.metrics.metadata.rid = rid;
  const start = Date.now();
  /** @type {Outcome} */
  let out;
  let attempt = 0;
  let offset = 0;
  // Upstream attempts over all of the client's attempts (one for an attempt the gateway said nothing about), when it said anything.
  let upstream = 0;
  let reported = false;
  for (;;) {
    offset = Date.now() - start;
    out = attemptSse !== null && workload.stream ? attemptSse(body, headers, tags) : attemptHttp(body, headers, tags, workload.stream);
    attempt++;
    upstream += out.upstreamAttempts !== null ? out.upstreamAttempts : 1;
    if (out.upstreamAttempts !== null) reported = true;
    if (out.error === null || attempt > CONFIG.retries || !retryable(out)) break;
    const wait = out.retryAfterMs !== null ? out.retryAfterMs : Math.min(500 * Math.pow(2, attempt - 1), 8000) * (1 - Math.random() * 0.25);
    sleep(wait / 1000);
  }
  const elapsed = Date.now() - start;
  if (out.error === null) {
    const problem = checkAnswer(out, workload, nonce, toolTurn);
    if (problem !== null) {
      out.error = "quality";
      out.detail = problem;
    }
  }
  /** @type {Record<string, string>} */
  const mtags = Object.assign({}, tags);
  delete mtags.name;
  if (out.provider !== "") mtags.provider = out.provider;
  const ok = out.error === null;
  /** @type {Record<string, string>} */
  const verdictTags = Object.assign({}, mtags);
  if (!ok) verdictTags.aire_error = /** @type {string} */ (out.error);
  if (out.model !== "") verdictTags.model = out.model;
  okRate.add(ok ? 1 : 0, verdictTags);
  e2eAny.add(elapsed, mtags);
  attemptsCount.add(attempt, mtags);
  outputTokens.add(out.tokens, mtags);
  if (out.promptTokens !== null) promptTokens.add(out.promptTokens, mtags);
  if (reported) upstreamAttempts.add(upstream, mtags);
  for (const c of CONFIG.errorClasses) classRates[c].add(out.error === c ? 1 : 0, mtags);
  /** @type {Record<string, number | null>} */
  const measured = { e2e: elapsed, ttfb: offset + out.ttfbMs, ttft: out.ttftMs === null ? null : offset + out.ttftMs, tpot: null, max_stall: null };
  if (ok) {
    e2e.add(elapsed, mtags);
    ttfb.add(offset + out.ttfbMs, mtags);
    if (out.ttftMs !== null) ttft.add(offset + out.ttftMs, mtags);
    if (out.gaps.length > 0) {
      let largest = 0;
      let sum = 0;
      for (const g of out.gaps) {
        itl.add(g, mtags);
        sum += g;
        if (g > largest) largest = g;
      }
      maxStall.add(largest, mtags);
      tpot.add(sum / out.gaps.length, mtags);
      measured.tpot = sum / out.gaps.length;
      measured.max_stall = largest;
    }
  }
  CONFIG.goodput.forEach(function (conditions, i) {
    let good = ok;
    for (const c of conditions) {
      const v = measured[c.metric];
      if (v === null || v === undefined || !(c.op === "<" ? v < c.ms : v <= c.ms)) good = false;
    }
    goodputRates[i].add(good ? 1 : 0, mtags);
  });
  delete exec.vu.metrics.metadata.rid;
  return out;
}

/** @param {unknown[]} messages @param {number} maxTokens @param {boolean} stream @param {string | null} toolChoice */
function agentBody(messages, maxTokens, stream, toolChoice) {
  /** @type {Record<string, unknown>} */
  const body = { model: CONFIG.model, messages: messages, max_tokens: maxTokens, stream: stream };
  if (stream) body.stream_options = { include_usage: true };
  if (toolChoice !== null) {
    body.tools = CONFIG.tools;
    body.tool_choice = toolChoice;
  }
  return JSON.stringify(body);
}

/** An agent session: each turn carries the history; a tool call gets the tool's result back. @param {Entry} entry @param {string} rid */
function session(entry, rid) {
  const workload = CONFIG.workloads[entry.w];
  /** @type {unknown[]} */
  const messages = [{ role: "system", content: CONFIG.systemPrompt }];
  const turns = entry.s || [];
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i];
    if (i > 0) sleep(workload.thinkTimeMs / 1000);
    messages.push({ role: "user", content: turn.user });
    let out = send(agentBody(messages, turn.maxTokens, workload.stream, turn.tool ? "required" : null), workload, entry.t, turn.nonce, turn.tool, rid + "." + i);
    if (out.error !== null) return;
    if (out.toolCall !== null) {
      messages.push({ role: "assistant", content: null, tool_calls: [{ id: out.toolCall.id, type: "function", function: { name: out.toolCall.name, arguments: out.toolCall.arguments } }] });
      messages.push({ role: "tool", tool_call_id: out.toolCall.id, content: turn.toolResult });
      out = send(agentBody(messages, turn.maxTokens, workload.stream, "auto"), workload, entry.t, null, false, rid + "." + i + "r");
      if (out.error !== null) return;
    }
    messages.push({ role: "assistant", content: out.content });
  }
}

export default function () {
  checkEnv();
  const name = exec.scenario.name;
  const entries = DATA[name];
  const n = exec.scenario.iterationInTest;
  const entry = entries[n % entries.length];
  const rid = exec.vu.idInTest + ":" + exec.vu.iterationInInstance;
  if (entry.s) session(entry, rid);
  else send(/** @type {string} */ (entry.b), CONFIG.workloads[entry.w], entry.t, entry.n === undefined ? null : entry.n, false, rid);
  const think = CONFIG.thinkTimeMs[name];
  if (think !== undefined && think > 0) sleep(think / 1000);
}

/**
 * Writes k6's summary as JSON (for `aire ingest`) and a short text of the thresholds; k6's own text
 * summary is in a remote jslib, so this writes its own.
 * @param {any} data
 */
export function handleSummary(data) {
  const path = __ENV.AIRE_SUMMARY || "aire-summary.json";
  const lines = ["aire scenario " + CONFIG.scenario + ": k6 thresholds (this runner's share of the traffic only; aire ingest k6 gives the global verdicts)"];
  const metrics = data.metrics || {};
  for (const name of Object.keys(metrics).sort()) {
    const thresholds = metrics[name].thresholds || {};
    for (const expr of Object.keys(thresholds)) lines.push("  " + (thresholds[expr].ok ? "ok    " : "FAILED") + " " + name + " " + expr);
  }
  const ok = metrics.aire_ok && metrics.aire_ok.values;
  if (ok) lines.push("  requests complete: " + (ok.rate * 100).toFixed(2) + "% of " + (ok.passes + ok.fails));
  /** @type {Record<string, string>} */
  const out = { stdout: lines.join("\n") + "\n" };
  out[path] = JSON.stringify(data);
  return out;
}
