/** The union of every fault"s params, discriminated on `kind`. @module */
import { z } from "zod";
import { scheduleSchema } from "./schedule.js";
import { latency } from "./latency.js";
import { bandwidth } from "./bandwidth.js";
import { timeout } from "./timeout.js";
import { resetPeer } from "./reset-peer.js";
import { slicer } from "./slicer.js";
import { limitData } from "./limit-data.js";
import { slowClose } from "./slow-close.js";
import { providerDown } from "./provider-down.js";
import { providerLatency } from "./provider-latency.js";
import { rateLimitStorm } from "./rate-limit-storm.js";
import { errorBurst } from "./error-burst.js";
import { streamCut } from "./stream-cut.js";
import { streamStall } from "./stream-stall.js";
import { malformedStream } from "./malformed-stream.js";
import { silentDegradation } from "./silent-degradation.js";
import { capacityLoss } from "./capacity-loss.js";
import { podKill } from "./pod-kill.js";
import { k8sPodKill } from "./k8s-pod-kill.js";

/** Every fault takes an optional `schedule` (see schedule.ts). */
const scheduled = { schedule: scheduleSchema.optional() };

/** Network faults (Toxiproxy, on the proxy in front of a provider) and provider faults (admin API). */
export const faultSchema = z.discriminatedUnion(
  "kind",
  [latency.params.extend(scheduled), bandwidth.params.extend(scheduled), timeout.params.extend(scheduled), resetPeer.params.extend(scheduled), slicer.params.extend(scheduled), limitData.params.extend(scheduled), slowClose.params.extend(scheduled), providerDown.params.extend(scheduled), providerLatency.params.extend(scheduled), rateLimitStorm.params.extend(scheduled), errorBurst.params.extend(scheduled), streamCut.params.extend(scheduled), streamStall.params.extend(scheduled), malformedStream.params.extend(scheduled), silentDegradation.params.extend(scheduled), capacityLoss.params.extend(scheduled), podKill.params.extend(scheduled), k8sPodKill.params.extend(scheduled)],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown fault kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${faultKinds.join(", ")}`
        : undefined,
  },
);

export const faultKinds = ["latency", "bandwidth", "timeout", "reset-peer", "slicer", "limit-data", "slow-close", "provider-down", "provider-latency", "rate-limit-storm", "error-burst", "stream-cut", "stream-stall", "malformed-stream", "silent-degradation", "capacity-loss", "pod-kill", "k8s-pod-kill"] as const;

export type FaultSpec = z.output<typeof faultSchema>;
