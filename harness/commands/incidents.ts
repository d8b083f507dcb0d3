/**
 * The incidents `aire init` offers to rehearse, each a phase of faults from the catalogue. A
 * module of its own, with no imports, so that `aire init --help` can list them without loading
 * the scenario loader.
 * @module
 */

/** An incident to rehearse: a phase of faults, and what a resilient stack does about it. */
export interface Incident {
  id: string;
  title: string;
  /** Network faults go through Toxiproxy, so they also work with a url target that has one; the others use the synthetic providers' admin API. */
  network: boolean;
  /** The phase's faults: on the Toxiproxy proxy `proxy` (network) or on the reference provider `primary`. */
  faults(proxy: string): string[];
  /** What a resilient stack does, for the phase's comment. */
  expect: string;
}

export const incidents: readonly Incident[] = [
  { id: "slow-provider", title: "slow provider (+800 ms to every answer)", network: true, faults: (p) => [`{ kind: latency, proxy: ${p}, latency: 800ms, jitter: 50ms }`], expect: "a time-to-first-token timeout gives up on the slow attempt and the fallback answers" },
  { id: "outage", title: "provider outage (its connections refused)", network: true, faults: (p) => [`{ kind: provider-down, proxy: ${p} }`], expect: "the breaker opens and the fallback serves; nothing reaches users as an error" },
  { id: "network-brownout", title: "network brownout (5 KB/s, streams cut into small pieces)", network: true, faults: (p) => [`{ kind: bandwidth, proxy: ${p}, rate: 5KB/s }`, `{ kind: slicer, proxy: ${p}, averageSize: 48, delay: 5ms }`], expect: "slow, split streams still parse; latency rises without errors" },
  { id: "rate-limit-storm", title: "429 storm (90% of requests rate-limited upstream)", network: false, faults: () => ["{ kind: rate-limit-storm, provider: primary, fraction: 90%, retryAfter: 2s }"], expect: "429s go to the fallback instead of the users, with no retry storm" },
  { id: "error-burst", title: "5xx burst (half the answers 503)", network: false, faults: () => ["{ kind: error-burst, provider: primary, status: 503, fraction: 50% }"], expect: "failed attempts are retried or fall back before any token was sent" },
  { id: "stream-stall", title: "stream stalls (20% of streams stop after 5 tokens for 10 s)", network: false, faults: () => ["{ kind: stream-stall, provider: primary, atToken: 5, stall: 10s, fraction: 20% }"], expect: "a stream idle timeout ends a stalled stream with an error instead of a hang" },
  { id: "pod-loss", title: "GPU pod loss (a pod killed, back after its cold start)", network: false, faults: () => ["{ kind: pod-kill, provider: primary, count: 1, restart: true }"], expect: "streams on the killed pod break; new requests go to the pods left" },
  { id: "silent-degradation", title: "silent degradation (30% of answers off-topic, still 200)", network: false, faults: () => ["{ kind: silent-degradation, provider: primary, mode: off-topic, fraction: 30% }"], expect: "nothing in the gateway sees it: only the canary checks do (a quality error per wrong answer)" },
];

