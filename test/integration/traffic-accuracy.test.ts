/** Dispatch accuracy of the open-loop generator at a real rate against a real server in its own process. */
import { expect, test } from "vitest";
import type { Sample } from "../../harness/metrics/sample.js";
import { prepareTraffic, runTraffic, type TrafficOptions } from "../../harness/traffic/generator.js";
import { chiSquareExponential, gapsOf, ksExponential } from "../helpers/stats.js";
import { onQuietMachine } from "../helpers/machine.js";
import { scriptServer } from "../helpers/script-server.js";

/** Seconds of traffic: about 5,000 gaps at 500/s. */
const SECONDS = 10;

test(`Poisson at 500 req/s for ${SECONDS} s: the drawn count within its 99% interval and gaps passing Kolmogorov–Smirnov, every drawn request sent in time, half within 0.25 ms of due, dispatched gaps' chi-square at 0.5 ms far below what a timer tick or batching scores, schedule lag reported`, async (ctx) => {
  await onQuietMachine(ctx, async () => {
    await using server = await scriptServer("exact.mjs", ["instant"]);
    const traffic: TrafficOptions["traffic"] = {
      model: "m",
      arrival: { type: "poisson", rate: 500 },
      mix: [{ name: "chat", weight: 1, stream: false, promptTokens: 20, maxTokens: 4 }],
      client: { timeout: 5_000, connections: 256, warmConnections: 32, retries: 0 },
    };
    const samples: Sample[] = [];
    const prepared = await prepareTraffic(traffic, 11, { baseUrl: server.url });
    const result = await runTraffic({
      prepared,
      baseUrl: server.url,
      traffic,
      seed: 11,
      phases: [{ name: "only", duration: SECONDS * 1000 }],
      maxRequests: 20_000,
      start: performance.now() + 50,
      signal: new AbortController().signal,
      onSample: (s: Sample) => samples.push(s),
    });
    expect(samples.filter((s) => !s.ok)).toEqual([]);
    expect(result.completed).toBe(result.scheduled);
    // The process as drawn: a count within the 99% interval of a Poisson count with mean 500 × T,
    // and exponential gaps by Kolmogorov–Smirnov (α = 0.01).
    const scheduled = samples.map((s) => s.scheduledAt).sort((a, b) => a - b);
    const mean = 500 * SECONDS;
    expect(Math.abs(scheduled.length - mean)).toBeLessThan(2.576 * Math.sqrt(mean));
    const critical = 1.63 / Math.sqrt(scheduled.length - 1);
    expect(ksExponential(gapsOf(scheduled), 0.5)).toBeLessThan(critical);
    // The process as realized: dispatched (handed to the HTTP client) and written to a socket. The
    // event loop adds jitter (responses being processed, GC: the schedule lag, p99 1–3 ms), and
    // undici's idle-socket check adds ~0.05–0.5 ms before the write, which a KS test on 5,000 gaps
    // can detect; judged at 0.5 ms resolution (chi-square, α = 0.001) the dispatched gaps are
    // exponential. (On 10,000 gaps, 20 s, the same test also detected the few hundred sends a second
    // of hypervisor steal moves by milliseconds: that measured the VM, not aire.) α = 0.001, not
    // 0.01: at 0.01 a perfect dispatcher fails one run in a hundred by construction, and the suite
    // runs this on every change (CI failed it at 26.35 against 26.24 on a quiet machine). And not
    // the critical value itself: this VM's steal comes in bursts shorter than the machine watch's
    // second, and a burst moves a few hundred sends by milliseconds (CI of b939ec0: 40.5 on a
    // machine the watch saw quiet, 0.25 cores stolen in its busiest second; under steal 30–320).
    // So the bound is ten times the critical value (331), the same margin by which each defect it
    // is there for must fail it, below — and they score 4,664 (a 1 ms tick) to 55,868 (evenly
    // spaced), the ideal process 10–14 (on 4,950 gaps). The dispatcher's own timing is asserted
    // directly: half the requests leave within 0.25 ms of their due time (a 1 ms timer tick would
    // put the median near 0.5 ms).
    const dispatched = samples.map((s) => s.dispatchedAt).sort((a, b) => a - b);
    const written = samples.map((s) => s.sentAt).sort((a, b) => a - b);
    const inTime = written.filter((t) => t < SECONDS * 1000).length;
    const chi = chiSquareExponential(gapsOf(dispatched), 0.5, 0.5, 0.001);
    const chiWritten = chiSquareExponential(gapsOf(written), 0.5, 0.5, 0.001);
    console.log(
      `500/s Poisson for ${SECONDS} s: drawn ${scheduled.length / SECONDS}/s, achieved ${inTime / SECONDS}/s; ` +
        `KS distance (critical ${critical.toFixed(4)}): drawn ${ksExponential(gapsOf(scheduled), 0.5).toFixed(4)}, dispatched ${ksExponential(gapsOf(dispatched), 0.5).toFixed(4)}, written ${ksExponential(gapsOf(written), 0.5).toFixed(4)}; ` +
        `chi-square at 0.5 ms (critical ${chi.critical.toFixed(1)} at α = 0.001, ${chi.df} df): dispatched ${chi.statistic.toFixed(1)}, written ${chiWritten.statistic.toFixed(1)}; ` +
        `schedule lag p50 ${result.scheduleLagMs.p50} ms, p99 ${result.scheduleLagMs.p99} ms, max ${result.scheduleLagMs.max} ms`,
    );
    // Every request drawn before the end is written before it, but those drawn in its last few ms.
    expect(scheduled.length - inTime).toBeLessThanOrEqual(Math.ceil(result.scheduleLagMs.max * 0.5) + 1);
    expect(chi.statistic).toBeLessThan(10 * chi.critical);
    // The test can fail, for the defects it is there for: sends evenly spaced, sends released on
    // a 1 ms timer tick (setTimeout's granularity), sends released in batches every 10 ms.
    const even = Array.from({ length: scheduled.length }, (_, i) => i * 2);
    expect(ksExponential(gapsOf(even), 0.5)).toBeGreaterThan(0.3);
    for (const defect of [even, scheduled.map(Math.ceil), scheduled.map((t) => Math.ceil(t / 10) * 10)]) {
      expect(chiSquareExponential(gapsOf(defect), 0.5, 0.5, 0.001).statistic).toBeGreaterThan(10 * chi.critical);
    }
    expect(result.scheduleLagMs.p50).toBeLessThan(0.25);
    expect(result.scheduleLagMs.p99).toBeGreaterThan(0);
    expect(result.scheduleLagMs.p99).toBeLessThan(10);
  });
}, 130_000);
