/**
 * A circuit breaker per provider.
 *
 * closed: attempts flow; outcomes are counted over a rolling window. When the window holds at
 * least `minRequests` outcomes and the failure share reaches `failureRate`, it opens; it also opens
 * after `consecutiveFailures` failures in a row (as Envoy's outlier detection ejects a host after
 * consecutive 5xx), so a provider that fails outright is cut off at once even when the window is
 * full of successes from before.
 * open: no attempts for `openMs`; then half-open.
 * half-open: up to `halfOpenProbes` attempts at once are let through as probes. That many
 * successes close it (with a fresh window); any probe failure opens it again.
 *
 * What counts as a failure is the caller's decision (the gateway counts connection errors,
 * timeouts, broken streams and 5xx; not 429, which `retry-after` handles, nor 4xx, which are the
 * caller's fault).
 * @module
 */
import { RollingCounter } from "./retry.js";

export type BreakerState = "closed" | "open" | "half-open";
export const breakerStateValue: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

export interface BreakerConfig {
  consecutiveFailures: number;
  windowMs: number;
  minRequests: number;
  failureRate: number;
  openMs: number;
  halfOpenProbes: number;
  /** Read by the gateway (it decides `mayOpen`): the share of providers that may be open at once. */
  maxOpen?: number;
}

/** A permit to send one attempt; report its outcome exactly once (or release it unreported). */
export interface BreakerPermit {
  success(): void;
  failure(): void;
  /** The attempt ended without a verdict on the provider (e.g. the client went away). */
  release(): void;
  /**
   * A failure after `success()`: a stream that broke after its first token. Streams report
   * success at their first token, as a 5xx is known at its headers; waiting for the end would
   * let fast failures overtake slow successes and read a 30% error rate as a streak.
   */
  broke(): void;
}

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #openedAt = 0;
  #generation = 0;
  #probesInFlight = 0;
  #probeSuccesses = 0;
  #streak = 0;
  #failures: RollingCounter;
  #total: RollingCounter;

  constructor(
    private readonly config: BreakerConfig,
    private readonly onTransition: (from: BreakerState, to: BreakerState) => void = () => {},
    private readonly now: () => number = () => performance.now(),
    /** Asked before a closed breaker trips (max ejection); a refusal leaves it closed and counting. */
    private readonly mayOpen: () => boolean = () => true,
  ) {
    this.#failures = new RollingCounter(config.windowMs, 10);
    this.#total = new RollingCounter(config.windowMs, 10);
  }

  get state(): BreakerState {
    this.#tick();
    return this.#state;
  }

  /** ms until an open breaker lets a probe through (0 when not open). */
  get remainingOpenMs(): number {
    this.#tick();
    return this.#state === "open" ? Math.max(0, this.#openedAt + this.config.openMs - this.now()) : 0;
  }

  /** Would an attempt be let through now? (Does not take a permit.) */
  get allows(): boolean {
    this.#tick();
    return this.#state === "closed" || (this.#state === "half-open" && this.#probesInFlight < this.config.halfOpenProbes);
  }

  /** A permit for one attempt, or undefined when the breaker refuses it. */
  acquire(): BreakerPermit | undefined {
    this.#tick();
    if (this.#state === "open") return undefined;
    const generation = this.#generation;
    if (this.#state === "half-open") {
      if (this.#probesInFlight >= this.config.halfOpenProbes) return undefined;
      this.#probesInFlight++;
      let done = false;
      const end = (verdict?: boolean) => {
        if (done) return;
        done = true;
        if (generation !== this.#generation) return;
        this.#probesInFlight--;
        if (verdict === false) this.#open();
        else if (verdict === true && ++this.#probeSuccesses >= this.config.halfOpenProbes) this.#close();
      };
      const broke = () => {
        if (generation === this.#generation) this.#open();
      };
      return { success: () => end(true), failure: () => end(false), release: () => end(), broke };
    }
    let done = false;
    const end = (failed?: boolean) => {
      if (done) return;
      done = true;
      if (generation !== this.#generation || failed === undefined) return;
      this.#record(failed);
    };
    // Counted as one more failure (the streak and the window), not as one more attempt.
    const broke = () => {
      if (generation === this.#generation) this.#record(true, false);
    };
    return { success: () => end(false), failure: () => end(true), release: () => end(), broke };
  }

  #record(failed: boolean, attempt = true): void {
    const now = this.now();
    if (attempt) this.#total.add(now);
    this.#streak = failed ? this.#streak + 1 : 0;
    if (!failed) return;
    this.#failures.add(now);
    const total = this.#total.sum(now);
    if ((this.#streak >= this.config.consecutiveFailures || (total >= this.config.minRequests && this.#failures.sum(now) / total >= this.config.failureRate)) && this.mayOpen()) this.#open();
  }

  #tick(): void {
    if (this.#state === "open" && this.now() - this.#openedAt >= this.config.openMs) this.#transition("half-open");
  }

  #open(): void {
    this.#openedAt = this.now();
    this.#transition("open");
  }

  #close(): void {
    this.#failures = new RollingCounter(this.config.windowMs, 10);
    this.#total = new RollingCounter(this.config.windowMs, 10);
    this.#transition("closed");
  }

  #transition(to: BreakerState): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#probesInFlight = 0;
    this.#probeSuccesses = 0;
    this.#streak = 0;
    if (from !== to) this.onTransition(from, to);
  }
}
