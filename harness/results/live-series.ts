/**
 * A run second by second while it goes, for the game-day console's charts: requests sent and
 * answered, successes, TTFT p50/p95, failures by class, who served the answers, output tokens per
 * second, cost, and the generator's own schedule lag. Everything is on the samples' clock (ms
 * since the traffic started): a request counts as sent in the second of its `sentAt`, answered
 * in the second it ended (`scheduledAt + e2e`). A sample arrives when its request ends, so a
 * second's "sent" keeps growing until the requests sent in it have ended: the last few seconds
 * are revised, older ones are frozen (their histograms dropped, their figures kept).
 * @module
 */
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Sample } from "../metrics/sample.js";

/** One second of the run (`t`: seconds since the traffic started, the second [t, t+1)). */
export interface LivePoint {
  t: number;
  /** Requests sent in this second (grows while they are in flight). */
  sent: number;
  /** Requests that ended in this second, and of those the complete successes. */
  done: number;
  ok: number;
  /** ms, over the successes that ended in this second; null without one. */
  ttftP50: number | null;
  ttftP95: number | null;
  /** Failures that ended in this second, by class. */
  errors: Record<string, number>;
  /** Answers that ended in this second, by the provider that served them (the response said). */
  providers: Record<string, number>;
  /** Output tokens of the answers that ended in this second. */
  tokens: number;
  /** USD of the requests that ended in this second (0 without a price table). */
  cost: number;
  /** ms: the generator's delay between a request's intended and actual dispatch, p99 over the requests due in this second. */
  lagP99: number | null;
}

interface Second {
  sent: number;
  done: number;
  ok: number;
  ttft: LatencyHistogram;
  lag: LatencyHistogram;
  errors: Record<string, number>;
  providers: Record<string, number>;
  tokens: number;
  cost: number;
  /** Its point as last computed; dropped when a sample changes it (most seconds stop changing once their requests ended). */
  point?: LivePoint;
}

const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 10) / 10);

export class LiveSeries {
  readonly #open = new Map<number, Second>();
  readonly #frozen: LivePoint[] = [];
  readonly #lag = new LatencyHistogram();
  #frozenUpTo = 0;

  /** `reviseS`: how long a second stays open to late samples (the client timeout, at most a minute, suits). */
  constructor(readonly reviseS = 30) {}

  #second(t: number): Second | undefined {
    const s = Math.max(0, Math.floor(t / 1000));
    // A request that ended long after it was sent (a 60-s timeout) still counts in the total lag; its second is frozen.
    if (s < this.#frozenUpTo) return undefined;
    let second = this.#open.get(s);
    if (!second) this.#open.set(s, (second = { sent: 0, done: 0, ok: 0, ttft: new LatencyHistogram(), lag: new LatencyHistogram(), errors: {}, providers: {}, tokens: 0, cost: 0 }));
    delete second.point;
    return second;
  }

  add(sample: Sample): void {
    const lag = Math.max(0, sample.dispatchedAt - sample.scheduledAt);
    this.#lag.record(lag);
    const sent = this.#second(sample.sentAt);
    if (sent) sent.sent++;
    const due = this.#second(sample.scheduledAt);
    if (due) due.lag.record(lag);
    const end = this.#second(sample.scheduledAt + sample.e2e);
    if (!end) return;
    end.done++;
    if (sample.ok) {
      end.ok++;
      if (sample.ttft !== undefined) end.ttft.record(sample.ttft);
    } else {
      const cls = sample.errorClass ?? "unknown";
      end.errors[cls] = (end.errors[cls] ?? 0) + 1;
    }
    if (sample.provider !== undefined) end.providers[sample.provider] = (end.providers[sample.provider] ?? 0) + 1;
    end.tokens += sample.outputTokens;
    if (typeof sample.cost === "number") end.cost += sample.cost;
  }

  /** The whole seconds before `nowMs` (samples' clock) not yet frozen, freezing those older than `reviseS`. */
  recent(nowMs: number): LivePoint[] {
    const current = Math.floor(nowMs / 1000);
    const points: LivePoint[] = [];
    for (let s = this.#frozenUpTo; s < current; s++) {
      const point = this.#point(s);
      if (s < current - this.reviseS) {
        this.#frozen.push(point);
        this.#open.delete(s);
        this.#frozenUpTo = s + 1;
      } else points.push(point);
    }
    return points;
  }

  /** Every whole second before `nowMs`: the frozen ones and the recent ones. */
  all(nowMs: number): LivePoint[] {
    const recent = this.recent(nowMs);
    return [...this.#frozen, ...recent];
  }

  /** The schedule lag over every request so far, ms. */
  lag(): { p99: number | null; max: number | null; requests: number } {
    return { p99: round(this.#lag.stat("p99")), max: round(this.#lag.stat("max")), requests: this.#lag.count };
  }

  #point(s: number): LivePoint {
    const second = this.#open.get(s);
    if (!second) return { t: s, sent: 0, done: 0, ok: 0, ttftP50: null, ttftP95: null, errors: {}, providers: {}, tokens: 0, cost: 0, lagP99: null };
    return (second.point ??= {
      t: s,
      sent: second.sent,
      done: second.done,
      ok: second.ok,
      ttftP50: round(second.ttft.stat("p50")),
      ttftP95: round(second.ttft.stat("p95")),
      errors: second.errors,
      providers: second.providers,
      tokens: second.tokens,
      cost: Math.round(second.cost * 1e6) / 1e6,
      lagP99: round(second.lag.stat("p99")),
    });
  }
}
