/**
 * The assertion language, form by form, with examples: the one text behind `aire metrics` and
 * docs/reference/vocabulary.md. Every example is read by the parser in a test, so none can drift
 * from what `expect:` accepts.
 * @module
 */

export interface AssertionForm {
  /** The form, in the grammar's words. */
  form: string;
  /** Assertions as a scenario writes them. */
  examples: readonly string[];
  /** What it measures, when the form does not say it all. */
  meaning: string;
}

export const assertionForms: readonly AssertionForm[] = [
  { form: "<latency metric>.<stat> <op> <duration>", examples: ["ttft.p95 < 800ms", "e2e.p99 <= 5s", "tpot.mean < 60ms", "itl.p99 < 100ms", "max_stall.max < 2s", "e2e_any.max < 5s"], meaning: "a latency of the successful answers (e2e_any: of every request, failed ones included: no hang)" },
  { form: "availability <op> <ratio>", examples: ["availability >= 99.5%"], meaning: "complete successes / requests" },
  { form: "error_rate[{class=<class>}] <op> <ratio>", examples: ["error_rate < 1%", "error_rate{class=http_429} < 0.5%", "error_rate{class=quality} < 0.5%"], meaning: "failed requests (of a class) / requests" },
  { form: "goodput(<metric> < <duration>, …) <op> <ratio>", examples: ["goodput(ttft < 1s, tpot < 50ms) >= 95%"], meaning: "the share of all requests that succeeded and met every per-request target" },
  { form: "retry_amplification <op> <number>", examples: ["retry_amplification < 1.5"], meaning: "upstream attempts per logical request (the gateway's x-aire-attempts); INCONCLUSIVE when the target reports none" },
  { form: "cost.total | cost.per_1k_requests <op> $<amount>", examples: ["cost.per_1k_requests < $2", "cost.total < $0.50"], meaning: "from the scenario's prices; INCONCLUSIVE when an answered request has no price" },
  { form: "throughput <op> <rate>", examples: ["throughput >= 20/s"], meaning: "successful requests per second of the window" },
  { form: "burn_rate(slo: <ratio>, window: <duration>) <op> <number>", examples: ["burn_rate(slo: 99.9%, window: 5m) < 14.4"], meaning: "error rate ÷ error budget over the worst window inside the hypothesis's window" },
  { form: "<measure> <op> <k> * baseline", examples: ["ttft.p95 <= 1.2 * baseline"], meaning: "against the same measure over the phase named baseline (else the first phase), or the same window of a stored run with --baseline DIR" },
  { form: "recovery_time(<condition>[, window: <duration>]) <op> <duration>", examples: ["recovery_time(ttft.p95 <= 1.2 * baseline) < 30s"], meaning: "from the end of the last fault until the condition holds to the end of the run, judged every second on the last window (5 s) of requests" },
  { form: "time_to_detect[(<condition>)] <op> <duration>", examples: ["time_to_detect < 10s", "time_to_detect(error_rate > 5%) < 10s"], meaning: "from the start of the first fault until one of the hypothesis's other assertions (or the condition) is first breached" },
  { form: "probe.<name>[{<label>=<value>, …}] <op> <number>", examples: ["probe.ready == 1", "probe.breaker{provider=primary} == 0"], meaning: "what a probe (probes:) read, the sum of the series its labels select: every reading in the window must hold (readings before and after the traffic belong to every window); a probe that could not be read makes it INCONCLUSIVE, never FAIL" },
  { form: "max|min|avg|first|last|increase(probe.<name>[{…}]) <op> <number>", examples: ["max(probe.queue_depth) < 100", "increase(probe.rate_limited) == 0"], meaning: "one value from the window's readings; increase counts a counter's rise, across resets and from its first appearance" },
  { form: "<probe condition> within <duration> of fault start", examples: ["probe.breaker{provider=primary} >= 2 within 5s of fault start"], meaning: "the system's own time to detect: from the first fault's start to the first reading that holds (time_to_detect(probe.… ) and recovery_time(probe.…) read probes too); a condition that held before the fault detected nothing: INCONCLUSIVE" },
  { form: "<measure>{tenant=…, workload=…, provider=…, class=…} …", examples: ["availability{tenant=quiet} >= 99%", "ttft.p95{workload=rag} < 2s", "ttft.p95{provider=secondary} < 1s", "error_rate{tenant=noisy, class=http_429} > 30%"], meaning: "any measure over the requests of a tenant, a workload or a serving provider" },
];
