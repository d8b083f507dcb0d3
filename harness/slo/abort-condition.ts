/**
 * The abort condition language, `<measure> <op> <value> for <duration>` (`error_rate > 50% for
 * 10s`): an assertion over a sliding window, parsed with the scenario; the orchestrator's
 * AbortWatch evaluates it live.
 * @module
 */
import { describeMeasure, parseAssertion, type Condition } from "./expression.js";
import type { Parsed } from "../base/units.js";
import { parseDuration } from "../base/units.js";

export interface AbortCondition {
  text: string;
  condition: Condition;
  windowMs: number;
}

/** `<measure> <op> <value> for <duration>`. */
export function parseAbortCondition(text: string): Parsed<AbortCondition> {
  const m = /^(.*\S)\s+for\s+(\S+)\s*$/.exec(text);
  if (!m) return { ok: false, message: `cannot read abort condition "${text}": write <measure> <op> <value> for <duration>, e.g. "error_rate > 50% for 10s"` };
  const window = parseDuration(m[2]);
  if (!window.ok) return { ok: false, message: `the window of an abort condition: ${window.message}` };
  if (window.value < 1000) return { ok: false, message: "an abort condition's window is at least 1s (it is checked once a second)" };
  const parsed = parseAssertion(m[1]!);
  if (!parsed.ok) return parsed;
  const a = parsed.value;
  if (a.kind !== "measure") return { ok: false, message: `${a.kind} is measured after the run; an abort condition needs a live measure (latency, availability, error_rate, goodput, retry_amplification)` };
  if (a.threshold.kind === "baseline") return { ok: false, message: "an abort condition needs an absolute threshold, not a factor of the baseline" };
  if (!["latency", "ratio", "goodput", "retry_amplification"].includes(a.measure.kind)) return { ok: false, message: `${describeMeasure(a.measure)} cannot abort a run; use latency, availability, error_rate, goodput or retry_amplification` };
  return { ok: true, value: { text: text.trim(), condition: { measure: a.measure, op: a.op, threshold: a.threshold }, windowMs: window.value } };
}

