/**
 * Every fault kind, from the lists of the three families: the one place the catalogue is written.
 * The scenario schema's union, the kind list and the registry by kind are derived from it.
 * @module
 */
import { networkFaults } from "./network/index.js";
import { podFaults } from "./pod/index.js";
import { providerFaults } from "./provider/index.js";

export const allFaults = [...networkFaults, ...providerFaults, ...podFaults] as const;

/** One of the registered definitions. */
export type RegisteredFault = (typeof allFaults)[number];
