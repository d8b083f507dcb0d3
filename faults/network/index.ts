/**
 * Network faults: Toxiproxy toxics (and a disabled proxy) on the link from the gateway to a provider.
 * A new network fault is a file here and one entry in this list.
 * @module
 */
import { bandwidth } from "./bandwidth.js";
import { latency } from "./latency.js";
import { limitData } from "./limit-data.js";
import { providerDown } from "./provider-down.js";
import { resetPeer } from "./reset-peer.js";
import { slicer } from "./slicer.js";
import { slowClose } from "./slow-close.js";
import { timeout } from "./timeout.js";

export const networkFaults = [latency, bandwidth, timeout, resetPeer, slicer, limitData, slowClose, providerDown] as const;
