/**
 * Pod faults: processes killed, a synthetic provider's pods (admin API) or a cluster's pods
 * (Kubernetes API). A new one is a file here and one entry in this list.
 * @module
 */
import { k8sPodKill } from "./k8s-pod-kill.js";
import { podKill } from "./pod-kill.js";

export const podFaults = [podKill, k8sPodKill] as const;
