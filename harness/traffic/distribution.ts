/**
 * Token-count distributions for workloads: how long prompts are and how many tokens a request may
 * generate (`max_tokens`). A count is a number (fixed) or one of:
 * `{ dist: uniform, min, max }`, `{ dist: normal, mean, sd }`,
 * `{ dist: lognormal, median, p99 }` (the usual shape of real prompt and answer lengths), or
 * `{ dist: empirical, values: [{ tokens, weight }, …] }` (a table taken from production logs).
 * Draws are integers of at least 1, from the run's seeded randomness.
 * @module
 */
import { z } from "zod";
import type { Random } from "../base/random/prng.js";
import { closed, writtenAs } from "../base/fields.js";
import { normal } from "./arrival.js";

const count = z.number().int().positive();
const distOf = <T extends string>(dist: T, description: string) => z.literal(dist).meta({ description, example: dist });

const distributionSchema = z
  .discriminatedUnion(
    "dist",
    [
      closed({
        dist: distOf("uniform", "Uniform: every count from min to max as likely."),
        min: count.meta({ description: "The smallest count.", example: 16 }),
        max: count.meta({ description: "The largest count.", example: 64 }),
      })
        .refine((d) => d.min <= d.max, { message: "min must not be above max", path: ["max"] })
        .meta({ description: "Uniform between min and max." }),
      closed({
        dist: distOf("normal", "Normal, cut at 1."),
        mean: z.number().positive().meta({ description: "The mean count.", example: 300 }),
        sd: z.number().nonnegative().meta({ description: "The standard deviation.", example: 50 }),
      }).meta({ description: "Normal with a mean and a standard deviation." }),
      closed({
        dist: distOf("lognormal", "Lognormal: the usual shape of real prompt and answer lengths."),
        median: z.number().positive().meta({ description: "The median count.", example: 400 }),
        p99: z.number().positive().meta({ description: "The 99th percentile.", example: 4000 }),
      })
        .refine((d) => d.p99 >= d.median, { message: "p99 must not be below the median", path: ["p99"] })
        .meta({ description: "Lognormal by its median and 99th percentile." }),
      closed({
        dist: distOf("empirical", "Empirical: a table, e.g. taken from production logs."),
        values: z
          .array(
            closed({
              tokens: count.meta({ description: "A token count.", example: 120 }),
              weight: z.number().nonnegative().meta({ description: "How often it is drawn, relative to the others.", example: 3 }),
            }),
          )
          .min(1, "give at least one { tokens, weight }")
          .meta({ description: "The counts and their weights.", example: [{ tokens: 120, weight: 3 }, { tokens: 2000, weight: 1 }] }),
      })
        .refine((d) => d.values.some((v) => v.weight > 0), {
          message: "the weights add up to 0: nothing could be drawn",
          path: ["values"],
        })
        .meta({ description: "A table of counts and weights." }),
    ],
    { error: (issue) => (issue.code === "invalid_union" ? `unknown distribution ${JSON.stringify((issue.input as { dist?: unknown } | undefined)?.dist)}; known: uniform, normal, lognormal, empirical` : undefined) },
  );

export type TokenDistribution = number | z.output<typeof distributionSchema>;

/** A token count in a scenario: a number, or a distribution object (errors keep their own paths). */
export function tokenCount(max: number) {
  const fixed = count.max(max);
  const field = z.unknown().transform((value, ctx): TokenDistribution => {
    const parsed = typeof value === "number" ? fixed.safeParse(value) : distributionSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
  writtenAs.set(field, z.union([fixed, distributionSchema]));
  return field;
}

/** One draw, an integer ≥ 1 and ≤ cap. */
export function drawTokens(d: TokenDistribution, random: Random, cap = Number.MAX_SAFE_INTEGER): number {
  const clamp = (x: number) => Math.min(cap, Math.max(1, Math.round(x)));
  if (typeof d === "number") return clamp(d);
  switch (d.dist) {
    case "uniform":
      return clamp(d.min + Math.floor(random() * (d.max - d.min + 1)));
    case "normal":
      return clamp(d.mean + d.sd * normal(random));
    case "lognormal": {
      const sigma = Math.log(d.p99 / d.median) / 2.3263478740408408; // z of the 99th percentile
      return clamp(Math.exp(Math.log(d.median) + sigma * normal(random)));
    }
    case "empirical": {
      const total = d.values.reduce((s, v) => s + v.weight, 0);
      let pick = random() * total;
      for (const v of d.values) if ((pick -= v.weight) < 0) return clamp(v.tokens);
      return clamp(d.values.at(-1)!.tokens);
    }
  }
}

/** The typical value, for plans and for sizing (median where there is one). */
export function typicalTokens(d: TokenDistribution): number {
  if (typeof d === "number") return d;
  switch (d.dist) {
    case "uniform":
      return Math.round((d.min + d.max) / 2);
    case "normal":
      return Math.round(d.mean);
    case "lognormal":
      return d.median;
    case "empirical": {
      const sorted = [...d.values].filter((v) => v.weight > 0).sort((a, b) => a.tokens - b.tokens);
      const total = sorted.reduce((s, v) => s + v.weight, 0);
      let acc = 0;
      for (const v of sorted) if ((acc += v.weight) >= total / 2) return v.tokens;
      return sorted.at(-1)!.tokens;
    }
  }
}

/** The largest value a draw can take (a bound for building prompt text), or a high quantile where unbounded. */
export function largestTokens(d: TokenDistribution): number {
  if (typeof d === "number") return d;
  switch (d.dist) {
    case "uniform":
      return d.max;
    case "normal":
      return Math.ceil(d.mean + 6 * d.sd);
    case "lognormal":
      return Math.ceil(d.median * Math.pow(d.p99 / d.median, 6 / 2.3263478740408408));
    case "empirical":
      return Math.max(...d.values.map((v) => v.tokens));
  }
}

export function describeTokens(d: TokenDistribution): string {
  if (typeof d === "number") return String(d);
  switch (d.dist) {
    case "uniform":
      return `uniform ${d.min}..${d.max}`;
    case "normal":
      return `normal mean ${d.mean} sd ${d.sd}`;
    case "lognormal":
      return `lognormal median ${d.median} p99 ${d.p99}`;
    case "empirical":
      return `empirical (${d.values.length} values, median ${typicalTokens(d)})`;
  }
}
