/**
 * Zod building blocks shared by the scenario schema and every fault's params schema:
 * closed objects (unknown keys are errors), and fields that carry units.
 * @module
 */
import { z } from "zod";
import { parseDuration, parseRate, type Parsed } from "./units.js";

/**
 * A field parsed by `parse`, within [`min`, `max`] (and above 0 with `positive`); a missing value is
 * reported as a missing key, not a bad value.
 */
function unitField(parse: (input: unknown) => Parsed<number>, bounds: { max: number; positive?: boolean; format: (value: number) => string; why: string }) {
  return z.unknown().transform((input, ctx) => {
    if (input === undefined) {
      ctx.addIssue({ code: "invalid_type", expected: "string", input });
      return z.NEVER;
    }
    const parsed = parse(input);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.message });
      return z.NEVER;
    }
    if (bounds.positive && !(parsed.value > 0)) {
      ctx.addIssue({ code: "custom", message: `${String(input)}: must be above 0` });
      return z.NEVER;
    }
    if (!(parsed.value <= bounds.max)) {
      ctx.addIssue({ code: "custom", message: `${String(input)}: at most ${bounds.format(bounds.max)} (${bounds.why})` });
      return z.NEVER;
    }
    return parsed.value;
  });
}

/** The longest duration a scenario may name: 7 days (a timer cannot wait longer than 24.8 days, and no run lasts a week). */
export const maxDurationMs = 7 * 24 * 3_600_000;
/** The highest rate a scenario may name: 100,000/s, two orders above what one generator process sends. */
export const maxRatePerSec = 100_000;

const durationBounds = { max: maxDurationMs, format: (ms: number) => `${ms / 3_600_000}h`, why: "7 days" };
const rateBounds = { max: maxRatePerSec, format: (r: number) => `${r}/s`, why: "one aire process sends about 1,500/s; use more runners beyond that" };

/** A duration with a unit (`800ms`, `20s`, `2m`), resolved to milliseconds; 0 allowed, at most 7 days. */
export const duration = unitField(parseDuration, durationBounds);

/** A duration that must be above 0 (a timeout, a phase, a budget). */
export const positiveDuration = unitField(parseDuration, { ...durationBounds, positive: true });

/** A rate with a unit (`20/s`, `600/m`), resolved to events per second; 0 allowed, at most 100,000/s. */
export const rate = unitField(parseRate, rateBounds);

/** Marks the issues a cross-check raised: they leave the values whole, so outer cross-checks still run. */
const CROSS = "aire.crossCheck";

/**
 * Checks across fields of an object, run only once every field in it parsed: they read parsed
 * values (milliseconds, parsed assertions, windows), which a field that failed does not have.
 * Issues raised by inner cross-checks do not stop them, so every such problem is reported at once.
 */
export function crossCheck<T>(check: (value: T, ctx: z.core.$RefinementCtx<T>) => void) {
  return z.superRefine<T>(
    (value, ctx) => {
      const addIssue: typeof ctx.addIssue = (issue) => ctx.addIssue(typeof issue === "string" ? issue : { ...issue, params: { ...(issue.params as object | undefined), [CROSS]: true } });
      check(value, { ...ctx, addIssue });
    },
    { when: (payload) => payload.issues.every((issue) => issue.code === "custom" && issue.params?.[CROSS] === true) },
  );
}

/** A fraction written as a number from 0 to 1 or a percentage string (`50%`). */
export const fraction = z.union([z.number(), z.string()]).transform((input, ctx) => {
  const value = typeof input === "number" ? input : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(input) ? Number.parseFloat(input) / 100 : Number.NaN;
  if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
  ctx.addIssue({ code: "custom", message: `expected a fraction from 0 to 1 or a percentage such as 50%, got ${JSON.stringify(input)}` });
  return z.NEVER;
});

/** A lower-case name usable in file names, metric labels and Toxiproxy names. */
export const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "use lower-case letters, digits and dashes, starting with a letter (e.g. primary-us)");

/** An object that rejects unknown keys (the loader turns them into "did you mean" issues). */
export function closed<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape);
}

/** A bandwidth with a unit (`100KB/s`, `2MB/s`, `500B/s`), resolved to KB/s (1 KB = 1000 bytes, as Toxiproxy). */
export const bandwidth = z.unknown().transform((input, ctx) => {
  const m = typeof input === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB)\/s\s*$/.exec(input) : null;
  if (m) return Number(m[1]) * (m[2] === "B" ? 0.001 : m[2] === "KB" ? 1 : 1000);
  ctx.addIssue({ code: "custom", message: `expected a bandwidth such as 100KB/s, 2MB/s or 500B/s${typeof input === "number" ? ` (${input} needs a unit)` : ""}` });
  return z.NEVER;
});

/**
 * A setting that `false` switches off, or else is `inner` — with `inner`'s own messages and paths
 * (a plain union would only say "Invalid input").
 */
export function switchable<T extends z.ZodType>(inner: T) {
  const field = z.unknown().transform((value, ctx): false | z.output<T> => {
    if (value === false) return false;
    const parsed = inner.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
  switchableInner.set(field, inner);
  return field;
}

/** What each switchable field is when it is not `false` (for the scenario's JSON Schema). */
export const switchableInner = new WeakMap<z.ZodType, z.ZodType>();

/**
 * For a field that parses its input by hand (a transform of `unknown`, so that its errors keep
 * their own paths): the schema of what may be written there, for the scenario's JSON Schema.
 */
export const writtenAs = new WeakMap<z.ZodType, z.ZodType>();

/** The name of an environment variable (where a key is read from). */
export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name, e.g. GATEWAY_API_KEY");
