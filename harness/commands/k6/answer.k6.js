// @ts-check
//
// How a script from `aire export k6` reads an answer: plain functions and no k6 module, so the same
// file runs in k6 (beside script.js, as ./aire-answer.js) and in aire's tests on Node, against what
// a real server sends. ES2017, for k6's goja: no `?.`, no `??`.

/**
 * @typedef {object} Workload
 * @property {string} name
 * @property {boolean} stream
 * @property {number | null} minTokens  the answer must have at least this many output tokens
 * @property {number | null} maxTokens  and at most this many
 * @property {boolean} json             the answer must parse as JSON (aire alone also validates it against the schema)
 * @property {number} thinkTimeMs       agent sessions: the pause before each next user turn
 *
 * @typedef {object} Outcome
 * @property {number} status            0: no HTTP answer
 * @property {string | null} error      aire's error class, null when the answer is complete
 * @property {string} detail
 * @property {number} ttfbMs            from the start of this attempt
 * @property {number | null} ttftMs     from the start of this attempt; null when k6 cannot see it
 * @property {number[]} gaps            between tokens (xk6-sse only)
 * @property {number} tokens
 * @property {string} content
 * @property {{ id: string, name: string, arguments: string } | null} toolCall
 * @property {string} provider
 * @property {string} model             the model that answered (its `model` field)
 * @property {number | null} promptTokens    from the answer's usage
 * @property {number | null} upstreamAttempts   the gateway's attempts for it (x-aire-attempts), when it says
 * @property {number | null} retryAfterMs
 * @property {boolean | null} shouldRetry   the server's x-should-retry, when it sent one
 *
 * @typedef {object} StreamState        what a stream's chunks said so far
 * @property {string} content
 * @property {number} tokens
 * @property {number | null} usage      completion tokens from the usage chunk
 * @property {number | null} prompt     prompt tokens from the usage chunk
 * @property {string} model
 * @property {string | null} finish
 * @property {Outcome["toolCall"]} toolCall
 * @property {string | null} error
 */

/** @returns {StreamState} */
export function newStreamState() {
  return { content: "", tokens: 0, usage: null, prompt: null, model: "", finish: null, toolCall: null, error: null };
}

/** @param {string} data @param {StreamState} s */
export function readChunk(data, s) {
  /** @type {any} */
  let chunk;
  try {
    chunk = JSON.parse(data);
  } catch (e) {
    s.error = "malformed";
    return false;
  }
  // An error event inside a 200 stream: the answer broke off, class truncated as in aire run.
  if (chunk && chunk.error) {
    s.error = "truncated";
    return false;
  }
  if (chunk && chunk.usage && typeof chunk.usage.completion_tokens === "number") s.usage = chunk.usage.completion_tokens;
  if (chunk && chunk.usage && typeof chunk.usage.prompt_tokens === "number") s.prompt = chunk.usage.prompt_tokens;
  if (chunk && typeof chunk.model === "string") s.model = chunk.model;
  const choice = chunk && chunk.choices && chunk.choices[0];
  if (!choice) return false;
  if (choice.finish_reason) s.finish = choice.finish_reason;
  const delta = choice.delta || {};
  let token = false;
  if (typeof delta.content === "string" && delta.content !== "") {
    s.content += delta.content;
    s.tokens++;
    token = true;
  }
  if (delta.tool_calls && delta.tool_calls[0]) {
    const call = delta.tool_calls[0];
    if (!s.toolCall) s.toolCall = { id: call.id || "call", name: "", arguments: "" };
    if (call.function && call.function.name) s.toolCall.name += call.function.name;
    if (call.function && call.function.arguments) {
      s.toolCall.arguments += call.function.arguments;
      s.tokens++;
      token = true;
    }
  }
  return token;
}

/** @param {Record<string, string>} headers @param {string} name */
export function header(headers, name) {
  for (const k of Object.keys(headers || {})) if (k.toLowerCase() === name) return headers[k];
  return undefined;
}

/** @param {number} status */
export function classOf(status) {
  if (status === 429) return "http_429";
  if (status >= 500) return "http_5xx";
  return "http_4xx";
}

/**
 * What one HTTP answer says, read as aire reads it: the status and its error class, the headers
 * aire uses, and the body — a JSON completion, or a stream read after the fact.
 * @param {number} status 0: no HTTP answer (the caller says why: a timeout or the connection)
 * @param {Record<string, string>} headers
 * @param {string} text the whole body
 * @param {boolean} stream
 * @returns {Outcome} with the latencies left at 0/null for the caller to fill
 */
export function readAnswer(status, headers, text, stream) {
  /** @type {Outcome} */
  const out = { status: status, error: null, detail: "", ttfbMs: 0, ttftMs: null, gaps: [], tokens: 0, content: "", toolCall: null, provider: header(headers, "x-aire-provider") || "", model: "", promptTokens: null, upstreamAttempts: attemptsOf(headers), retryAfterMs: null, shouldRetry: null };
  const should = header(headers, "x-should-retry");
  if (should === "true" || should === "false") out.shouldRetry = should === "true";
  if (status === 0) {
    out.error = "connect";
    return out;
  }
  if (status < 200 || status >= 300) {
    out.error = classOf(status);
    out.retryAfterMs = retryAfter(headers);
    return out;
  }
  if (!stream) {
    /** @type {any} */
    let answer;
    try {
      answer = JSON.parse(text);
    } catch (e) {
      out.error = "malformed";
      return out;
    }
    const message = answer && answer.choices && answer.choices[0] && answer.choices[0].message;
    if (!message) {
      out.error = "malformed";
      return out;
    }
    out.content = message.content || "";
    const call = message.tool_calls && message.tool_calls[0];
    if (call) out.toolCall = { id: call.id, name: call.function.name, arguments: call.function.arguments };
    out.tokens = answer.usage && typeof answer.usage.completion_tokens === "number" ? answer.usage.completion_tokens : out.content.length > 0 ? 1 : 0;
    if (answer.usage && typeof answer.usage.prompt_tokens === "number") out.promptTokens = answer.usage.prompt_tokens;
    if (typeof answer.model === "string") out.model = answer.model;
    return out;
  }
  // The whole stream, read after the fact.
  const s = newStreamState();
  let done = false;
  for (const line of text.split("\n")) {
    if (line.indexOf("data:") !== 0) continue;
    const data = line.slice(5).trim();
    if (data === "[DONE]") {
      done = true;
      break;
    }
    readChunk(data, s);
    if (s.error !== null) break;
  }
  return finishStream(out, s, done);
}

/**
 * @param {Outcome} out
 * @param {StreamState} s
 * @param {boolean} done
 */
export function finishStream(out, s, done) {
  out.content = s.content;
  out.toolCall = s.toolCall;
  out.tokens = s.usage !== null ? s.usage : s.tokens;
  out.promptTokens = s.prompt;
  out.model = s.model;
  if (s.error !== null) out.error = s.error;
  else if (!done || s.finish === null) {
    out.error = "truncated";
    out.detail = done ? "no finish_reason" : "the stream ended without [DONE]";
  }
  return out;
}

/** The gateway's x-aire-attempts, when it sent one. @param {Record<string, string>} headers */
export function attemptsOf(headers) {
  const n = Number(header(headers, "x-aire-attempts"));
  return n > 0 ? n : null;
}

/** openai-node's wait: retry-after-ms, then retry-after (seconds or a date), when under a minute. @param {Record<string, string>} headers */
export function retryAfter(headers) {
  const ms = Number(header(headers, "retry-after-ms"));
  if (ms > 0 && ms < 60000) return ms;
  const after = header(headers, "retry-after");
  if (after === undefined) return null;
  const seconds = Number(after);
  const wait = isNaN(seconds) ? Date.parse(after) - Date.now() : seconds * 1000;
  return wait > 0 && wait < 60000 ? wait : null;
}

/** @param {Outcome} out */
export function retryable(out) {
  if (out.shouldRetry !== null) return out.shouldRetry;
  if (out.status === 0) return true;
  return out.status === 408 || out.status === 409 || out.status === 429 || out.status >= 500;
}

/** Why the answer fails the workload's checks, or null. @param {Outcome} out @param {Workload} workload @param {string | null} nonce @param {boolean} toolTurn */
export function checkAnswer(out, workload, nonce, toolTurn) {
  if (toolTurn) {
    if (out.toolCall === null) return "a tool call was required, but the answer is text";
    try {
      JSON.parse(out.toolCall.arguments);
    } catch (e) {
      return "the arguments of " + out.toolCall.name + " are not JSON";
    }
    return null;
  }
  if (workload.minTokens !== null && out.tokens < workload.minTokens) return "fewer output tokens than " + workload.minTokens;
  if (workload.maxTokens !== null && out.tokens > workload.maxTokens) return "more output tokens than " + workload.maxTokens;
  if (nonce !== null && out.content.indexOf(nonce) < 0) return "the answer does not contain the canary " + nonce;
  if (workload.json && nonce === null) {
    try {
      JSON.parse(out.content);
    } catch (e) {
      return "the answer is not JSON";
    }
  }
  return null;
}

