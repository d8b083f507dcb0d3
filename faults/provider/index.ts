/**
 * Provider faults: behaviours set through a synthetic provider's admin API (errors, slow or broken
 * streams, quota squeezes, wrong answers, lost capacity). A new one is a file here and one entry
 * in this list.
 * @module
 */
import { capacityLoss } from "./capacity-loss.js";
import { errorBurst } from "./error-burst.js";
import { malformedStream } from "./malformed-stream.js";
import { providerLatency } from "./provider-latency.js";
import { rateLimitStorm } from "./rate-limit-storm.js";
import { silentDegradation } from "./silent-degradation.js";
import { streamCut } from "./stream-cut.js";
import { streamStall } from "./stream-stall.js";

export const providerFaults = [providerLatency, rateLimitStorm, errorBurst, streamCut, streamStall, malformedStream, silentDegradation, capacityLoss] as const;
