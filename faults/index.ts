/**
 * The fault catalogue: one definition per file, collected in one literal registry.
 * Adding a fault is a new file plus one line here and one in `schema.ts`.
 * @module
 */
import type { z } from "zod";
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
import type { FaultSpec } from "./schema.js";
import type { FaultDefinition } from "./types.js";

export const faults = {
  "latency": latency, "bandwidth": bandwidth, "timeout": timeout, "reset-peer": resetPeer, "slicer": slicer, "limit-data": limitData, "slow-close": slowClose, "provider-down": providerDown, "provider-latency": providerLatency, "rate-limit-storm": rateLimitStorm, "error-burst": errorBurst, "stream-cut": streamCut, "stream-stall": streamStall, "malformed-stream": malformedStream, "silent-degradation": silentDegradation, "capacity-loss": capacityLoss, "pod-kill": podKill, "k8s-pod-kill": k8sPodKill,
} as const satisfies Record<FaultSpec["kind"], FaultDefinition<z.ZodType<{ kind: string }>>>;

/** The registry entry for a validated fault spec (the registry is keyed by the same `kind`). */
export function faultDefinition(spec: FaultSpec): FaultDefinition<z.ZodType<FaultSpec>> {
  return faults[spec.kind] as unknown as FaultDefinition<z.ZodType<FaultSpec>>;
}

export { faultSchema, faultKinds, type FaultSpec } from "./schema.js";
export { ProviderAdmin } from "./provider-admin.js";
export { once, type FaultContext, type FaultDefinition, type KubernetesAccess, type Undo } from "./types.js";
