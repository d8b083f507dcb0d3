/**
 * Zod building blocks shared by the scenario schema and every fault's params schema:
 * closed objects (unknown keys are errors), and fields that carry units.
 * @module
 */
import { z } from "zod";
import { parseDuration, parseRate, type Parsed } from "../units.js";

/** A field parsed by `parse`; a missing value is reported as a missing key, not a bad value. */
function unitField(parse: (input: unknown) => Parsed<number>) {
  return z.unknown().transform((input, ctx) => {
    if (input === undefined) {
      ctx.addIssue({ code: "invalid_type", expected: "string", input });
      return z.NEVER;
    }
    const parsed = parse(input);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  });
}

/** A duration with a unit (`800ms`, `20s`, `2m`), resolved to milliseconds. */
export const duration = unitField(parseDuration);

/** A rate with a unit (`20/s`, `600/m`), resolved to events per second. */
export const rate = unitField(parseRate);

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
  return z.unknown().transform((value, ctx): false | z.output<T> => {
    if (value === false) return false;
    const parsed = inner.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}
