/**
 * When a fault is active inside its phase, for any fault kind:
 *   schedule: { at: 5s, for: 10s, every: 20s, ramp: { param: latency, from: 100ms, steps: 5 } }
 * `at` offsets the start from the phase start; `for` bounds each activation (default: to the phase
 * end); `every` repeats it; `ramp` steps one numeric parameter from `from` to the fault's own value
 * over each activation (re-applying the fault at each step).
 * @module
 */
import { z } from "zod";
import { closed, duration } from "../harness/base/fields.js";
import { parseDuration } from "../harness/base/units.js";

/** A ramp's start value: a duration (→ ms), a percentage (→ fraction) or a plain number. */
const rampValue = z.union([z.string(), z.number()]).transform((input, ctx) => {
  if (typeof input === "number") return input;
  const d = parseDuration(input);
  if (d.ok) return d.value;
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(input);
  if (pct) return Number(pct[1]) / 100;
  ctx.addIssue({ code: "custom", message: `"${input}" is not a duration, a percentage or a number` });
  return z.NEVER;
});

export const scheduleSchema = closed({
  at: duration.prefault("0ms").meta({ description: "When the fault starts, from the phase's start.", example: "5s" }),
  for: duration.optional().meta({ description: "How long each activation lasts (default: to the phase's end).", example: "10s" }),
  every: duration.optional().meta({ description: "Activate it again this often, from `at`, until the phase ends.", example: "20s" }),
  ramp: closed({
    param: z.string().min(1).meta({ description: "The fault's numeric parameter to step.", example: "latency" }),
    from: rampValue.meta({ description: "Its first value (a duration, a percentage or a number); the last is the fault's own.", example: "100ms" }),
    steps: z.number().int().min(2).max(100).default(5).meta({ description: "Values from `from` to the fault's own, spread over each activation (the fault re-applied at each).", example: 4 }),
  }).optional().meta({ description: "Step one numeric parameter from `from` to the fault's own value over each activation.", example: { param: "latency", from: "100ms", steps: 5 } }),
}).superRefine((s, ctx) => {
  if (s.every !== undefined && s.for !== undefined && s.for > s.every) ctx.addIssue({ code: "custom", path: ["for"], message: `for (${s.for} ms) must not be longer than every (${s.every} ms)` });
  if (s.every !== undefined && s.every <= 0) ctx.addIssue({ code: "custom", path: ["every"], message: "every must be above 0" });
});

export type Schedule = z.output<typeof scheduleSchema>;

/** One activation: from `start` to `end` (ms from the phase start), with the param value of each ramp step. */
export interface Activation {
  start: number;
  end: number;
  steps: { start: number; value: number | undefined }[];
}

/** Every activation of a fault inside a phase of `phaseMs`, with its own value `to` for the ramped param. */
export function activations(schedule: Schedule | undefined, phaseMs: number, to: number | undefined): Activation[] {
  const s = schedule ?? { at: 0 };
  const out: Activation[] = [];
  for (let start = s.at; start < phaseMs; start += s.every ?? Number.POSITIVE_INFINITY) {
    const end = Math.min(phaseMs, s.for !== undefined ? start + s.for : phaseMs);
    const ramp = s.ramp;
    const steps = ramp && to !== undefined
      ? Array.from({ length: ramp.steps }, (_, k) => ({ start: start + ((end - start) * k) / ramp.steps, value: ramp.from + ((to - ramp.from) * k) / (ramp.steps - 1) }))
      : [{ start, value: undefined }];
    out.push({ start, end, steps });
    if (s.every === undefined) break;
  }
  return out;
}
