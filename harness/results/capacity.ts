/** `capacity.json`: what `aire capacity` found, step by step (rendered by reports/capacity.ts). @module */

export type StepPurpose = "ramp" | "bisect" | "verify-pass" | "verify-fail";

export interface CapacityStep {
  rate: number;
  seed: number;
  purpose: StepPurpose;
  verdict: string;
  /** Over the whole run: TTFT p95 of the answers, availability, error rate, successful answers per second. */
  ttftP95: number | null;
  availability: number | null;
  errorRate: number | null;
  throughput: number | null;
  requests: number;
  /** The hypotheses that did not PASS, by name. */
  notPassing: string[];
  seconds: number;
  dir: string;
}

export interface CapacityResult {
  scenario: string;
  file: string;
  /** The highest rate that PASSed (null: even the lowest tried did not). */
  capacity: number | null;
  /** The lowest rate that did not PASS (null: none did, up to max). */
  firstFailure: number | null;
  /** The highest rate before TTFT p95 rose by more than half over its value at the lowest rate. */
  knee: number | null;
  /** true: the capacity passed again and the step above failed again, with another seed; false: not; null: not checked. */
  verified: boolean | null;
  /** Why the search stopped early, when it did. */
  note?: string;
  require?: number;
  withFaults: boolean;
  /** Faults the scenario has (kept in every step unless withFaults is false). */
  faults: number;
  steps: CapacityStep[];
  dir: string;
  exitCode: number;
}
