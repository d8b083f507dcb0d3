/**
 * Answer checks, because a 200 with a wrong answer is downtime. Per workload:
 * - `canary`: a share of the requests ends with "reply with exactly: <nonce>"; the answer must
 *   contain the nonce (real models follow this instruction too);
 * - `jsonSchema`: requests ask for `response_format: json_schema`; the answer must parse and
 *   validate (Ajv);
 * - `outputTokens: { min, max }`: the answer's length must be sane (an empty 200 is a failure).
 * A failed check makes the request a `quality` error.
 * @module
 */
import { Ajv, type ValidateFunction } from "ajv";
import type { Random } from "../base/random/prng.js";
import type { Sample } from "../metrics/sample.js";

/** Returns why the answer fails, or undefined when it passes. */
export type QualityCheck = (text: string, sample: Sample) => string | undefined;

export interface QualitySpec {
  /** Share of requests (0..1) carrying a canary nonce; true = all. */
  canary?: number | boolean | undefined;
  /** A JSON Schema the answer must satisfy (sent as `response_format: json_schema`). */
  jsonSchema?: Record<string, unknown> | undefined;
  outputTokens?: { min?: number | undefined; max?: number | undefined } | undefined;
}

/** What one request adds to its body and prompt, and the check its answer must pass. */
export interface QualityPlan {
  /** Appended to the prompt. */
  suffix: string;
  responseFormat?: unknown;
  check?: QualityCheck;
}

const ajv = new Ajv({ strict: false, allErrors: false });

/** Compiles a JSON Schema once (Ajv). */
export function compileSchema(schema: object): ValidateFunction {
  return ajv.compile(schema);
}

/** The last validation's errors, readable. */
export function ajvErrors(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { dataVar: "arguments" });
}

/** Why a JSON Schema cannot be used, or undefined when Ajv compiles it. */
export function jsonSchemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return `not a usable JSON Schema: ${(err as Error).message}`;
  }
}

/** Compiles a workload's checks once; `plan(random)` then decides each request's. */
/**
 * Tokens a canary answer takes: `aire-` and nine digits are 5 o200k_base tokens (the tokenizer takes
 * digits three at a time; a hex nonce took 9 or 10), so that small max_tokens can still carry it.
 */
export const canaryTokens = 5;

export class QualityPlanner {
  readonly #spec: QualitySpec;
  readonly #validate: ValidateFunction | undefined;
  readonly #responseFormat: unknown;

  constructor(spec: QualitySpec | undefined) {
    this.#spec = spec ?? {};
    if (this.#spec.jsonSchema) {
      this.#validate = ajv.compile(this.#spec.jsonSchema);
      this.#responseFormat = { type: "json_schema", json_schema: { name: "aire_check", schema: this.#spec.jsonSchema, strict: true } };
    }
  }

  get active(): boolean {
    return this.#spec.canary !== undefined || this.#validate !== undefined || this.#spec.outputTokens !== undefined;
  }

  plan(random: Random): QualityPlan {
    if (!this.active) return { suffix: "" };
    const share = this.#spec.canary === true ? 1 : this.#spec.canary === false ? 0 : (this.#spec.canary ?? 0);
    const nonce = share > 0 && random() < share ? `aire-${100_000_000 + Math.floor(random() * 900_000_000)}` : undefined;
    const validate = this.#validate;
    const length = this.#spec.outputTokens;
    const check: QualityCheck = (text, sample) => {
      if (length?.min !== undefined && sample.outputTokens < length.min) return `answer has ${sample.outputTokens} output tokens, fewer than ${length.min}`;
      if (length?.max !== undefined && sample.outputTokens > length.max) return `answer has ${sample.outputTokens} output tokens, more than ${length.max}`;
      if (nonce !== undefined && !text.includes(nonce)) return `answer does not contain the canary ${nonce}: ${JSON.stringify(text.slice(0, 60))}`;
      if (validate && nonce === undefined) {
        let document: unknown;
        try {
          document = JSON.parse(text);
        } catch {
          return `answer is not JSON: ${JSON.stringify(text.slice(0, 60))}`;
        }
        if (!validate(document)) return `answer does not match the JSON schema: ${ajv.errorsText(validate.errors, { dataVar: "answer" })}`;
      }
      return undefined;
    };
    return {
      suffix: nonce === undefined ? "" : `\n\nreply with exactly: ${nonce}`,
      ...(validate && nonce === undefined ? { responseFormat: this.#responseFormat } : {}),
      check,
    };
  }
}
