/**
 * The harness's error catalogue: one class, stable codes, branch on `err.code`.
 * An SLO breach is never an error (it is a verdict); these mean the harness itself could not do its job.
 * @module
 */

/** Every code the harness raises, with its default message and the process exit code it maps to. */
export const errorCatalogue = {
  SCENARIO_INVALID: { message: "the scenario is invalid", exitCode: 2 },
  USAGE: { message: "bad command-line usage", exitCode: 2 },
  FAULT_INJECT_FAILED: { message: "a fault could not be injected", exitCode: 3 },
  FAULT_UNDO_FAILED: { message: "a fault could not be rolled back", exitCode: 3 },
  TARGET_UNREACHABLE: { message: "the target could not be reached", exitCode: 3 },
  STACK_START_FAILED: { message: "a component of the stack failed to start", exitCode: 3 },
  RESULTS_WRITE_FAILED: { message: "results could not be written", exitCode: 3 },
  METRICS_UNREADABLE: { message: "a metrics endpoint's text could not be read", exitCode: 3 },
  PROBE_UNREADABLE: { message: "a probe could not be read", exitCode: 3 },
  EXPORT_FAILED: { message: "an export receiver did not take what was sent", exitCode: 3 },
  WORKER_FAILED: { message: "a traffic worker process failed", exitCode: 3 },
  INTERRUPTED: { message: "the run was interrupted", exitCode: 130 },
} as const;

export type HarnessErrorCode = keyof typeof errorCatalogue;

export interface HarnessErrorOptions {
  message?: string;
  cause?: unknown;
  /** Extra lines printed under the message (for example every validation issue). */
  details?: readonly string[];
}

/**
 * A failure of the harness, the stack or the input, with a stable `code`.
 * @example
 * throw new HarnessError("TARGET_UNREACHABLE", { message: "gateway did not answer on 127.0.0.1:4000" });
 */
export class HarnessError extends Error {
  readonly code: HarnessErrorCode;
  readonly details: readonly string[];

  constructor(code: HarnessErrorCode, options: HarnessErrorOptions = {}) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.name = "HarnessError";
    this.code = code;
    this.details = options.details ?? [];
  }

  /** The process exit code DESIGN.md assigns to this kind of failure. */
  get exitCode(): number {
    return errorCatalogue[this.code].exitCode;
  }
}

/** True when `err` is a {@link HarnessError}, optionally of one code. */
export function isHarnessError(err: unknown, code?: HarnessErrorCode): err is HarnessError {
  return err instanceof HarnessError && (code === undefined || err.code === code);
}

/** A one-line description of any thrown value, for logs and events (never a stack trace). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const base = typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
    return err.cause instanceof Error ? `${base} (${describeError(err.cause)})` : base;
  }
  return String(err);
}
