/** One logical request as the traffic engine measured it: a line of `samples.jsonl`. @module */
import type { ErrorClass } from "./vocabulary.js";

export interface Sample {
  id: number;
  phase: string;
  workload: string;
  /** Intended send time, ms since the run's traffic started. */
  scheduledAt: number;
  /** When the generator handed it to the HTTP client, ms since the traffic started (scheduledAt + its schedule lag). */
  dispatchedAt: number;
  /** When the first attempt was written to a socket (after any wait for a free connection), ms since the run's traffic started (≥ scheduledAt). */
  sentAt: number;
  status: number | null;
  /** A complete success: 2xx, a stream that ended with finish_reason and [DONE], a body that parses. */
  ok: boolean;
  errorClass?: ErrorClass;
  error?: string;
  /** Latencies in ms from the intended send time (coordinated-omission safe). */
  ttfb?: number;
  ttft?: number;
  e2e: number;
  /** The same from the actual send time. */
  ttftService?: number;
  e2eService: number;
  /** (e2e − ttft) / (output tokens − 1), for answers of 2 or more tokens. */
  tpot?: number;
  /** Largest gap between content chunks. */
  maxStall?: number;
  /** Every gap between content chunks (pooled into the `itl` histogram; not written to samples.jsonl). */
  gaps?: number[];
  outputTokens: number;
  tokenSource: "usage" | "counted";
  /** Prompt tokens: from `usage` when the target reports them, else the size the prompt was built to. */
  promptTokens?: number;
  /** The model that answered (the response's `model`). */
  model?: string;
  /** What the request cost, in USD, from the scenario's price table; null when the table has no price for its model; absent without a table. */
  cost?: number | null;
  finishReason?: string;
  provider?: string;
  attempts?: number;
  /** Attempts the client made (its own retries), when more than one. */
  clientAttempts?: number;
  /** The attempts before the last one, when the client retried. */
  attemptLog?: AttemptRecord[];
  /** The user gave up: no first token within `client.abandonAfterTtft`. */
  abandoned?: boolean;
  tenant?: string;
  /** The agent session (its first request's id) and the turn within it. */
  session?: number;
  turn?: number;
  /** The function the answer called, when it was a tool call. */
  toolCall?: string;
  /** The answer itself, kept for the next request of a session (not written to samples.jsonl). */
  reply?: Reply;
}

/** One attempt the client retried: how it failed, when, and how long the client waited after it. */
export interface AttemptRecord {
  status: number | null;
  errorClass: ErrorClass;
  /** ms since the traffic started. */
  endedAt: number;
  /** What the server asked for (retry-after-ms / retry-after), if anything. */
  retryAfterMs: number | null;
  /** The gateway's attempts for it (x-aire-attempts), when it said. */
  attempts?: number;
  delayMs: number;
}

/** What an answer said, kept for an agent session's next turn. */
export interface Reply {
  content: string;
  toolCall?: { id: string; name: string; arguments: string };
}
