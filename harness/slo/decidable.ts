/**
 * How many requests a rate assertion needs before it can be decided. A rate (availability, an
 * error rate, goodput) is judged like a percentile: PASS only when its whole 95% Wilson interval
 * is on the passing side of the threshold. So `availability >= 99%` cannot PASS on 200 requests
 * even when all 200 succeed (the interval is [98.1%, 100%]); it needs 381.
 * @module
 */
import { compare, type Operator } from "./expression.js";

/** z of the two-sided 95% interval, as for percentiles. */
const Z = 1.96;

/** Wilson score interval (95%) for k successes in n. */
export function wilson(k: number, n: number, z = Z): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [round(Math.max(0, centre - half)), round(Math.min(1, centre + half))];
}

/**
 * The fewest requests with which `rate op threshold` can PASS, in the best case (every request
 * on the passing side: all succeed for `availability >= t`, none fails for `error_rate < t`).
 * `undefined` for `==`, which is judged on its value.
 */
export function samplesToDecide(op: Operator, threshold: number, z = Z): number | undefined {
  if (op === "==") return undefined;
  const lower = op === ">=" || op === ">";
  if (lower ? threshold >= 1 : threshold <= 0) return op === ">=" || op === "<=" ? 1 : Number.POSITIVE_INFINITY;
  // The closed form (n / (n + z²) >= t, or z² / (n + z²) < t), then nudged to agree with the rounded interval the judge uses.
  let n = Math.max(1, Math.ceil(lower ? (threshold * z * z) / (1 - threshold) : (z * z * (1 - threshold)) / threshold));
  const clears = (m: number) => {
    const [lo, hi] = wilson(lower ? m : 0, m, z);
    return op === ">=" ? lo >= threshold : op === ">" ? lo > threshold : op === "<=" ? hi <= threshold : hi < threshold;
  };
  while (n > 1 && clears(n - 1)) n--;
  while (!clears(n)) n++;
  return n;
}

/**
 * How many of `n` requests may land on the failing side (fail, for `availability >= t`; be errors,
 * for `error_rate < t`) with the assertion still PASSing on its interval; -1 when none may (the
 * assertion cannot PASS with `n` requests).
 */
export function failuresTolerated(op: Operator, threshold: number, n: number): number {
  if (op === "==" || n <= 0) return -1;
  const lower = op === ">=" || op === ">";
  const passes = (bad: number) => {
    const [lo, hi] = wilson(lower ? n - bad : bad, n);
    return lower ? (op === ">=" ? lo >= threshold : lo > threshold) : op === "<=" ? hi <= threshold : hi < threshold;
  };
  if (!passes(0)) return -1;
  // More failures never help: binary search for the last count that still passes.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (passes(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * A rate's verdict from its value and 95% interval over `n` requests: PASS or FAIL only when the
 * whole interval is on one side of the threshold; otherwise INCONCLUSIVE, saying what it would take.
 */
export function judgeRate(value: number, ci: readonly [number, number], n: number, op: Operator, threshold: number): { verdict: "PASS" | "FAIL" | "INCONCLUSIVE"; note?: string } {
  const pass = compare(value, op, threshold);
  if (op === "==") return { verdict: pass ? "PASS" : "FAIL" };
  const [lo, hi] = ci;
  const upper = op === "<" || op === "<=";
  if (pass && compare(upper ? hi : lo, op, threshold)) return { verdict: "PASS" };
  if (!pass && !compare(upper ? lo : hi, op, threshold)) return { verdict: "FAIL" };
  return { verdict: "INCONCLUSIVE", note: `the 95% confidence interval [${percent(lo)}, ${percent(hi)}] straddles the threshold ${percent(threshold)}${pass ? undecided(value, n, op, threshold) : ""}` };
}

/** Why a passing rate is not yet a PASS: too few requests, or a few too many on the wrong side. */
function undecided(value: number, n: number, op: Operator, threshold: number): string {
  const needed = samplesToDecide(op, threshold);
  if (needed === undefined || !Number.isFinite(needed)) return "";
  if (n < needed) return `: ${n} requests cannot show it even with every one on the passing side; that takes ${needed}`;
  const wrong = Math.round(n * (op === ">=" || op === ">" ? 1 - value : value));
  return `: of ${n} requests at most ${failuresTolerated(op, threshold, n)} may be on the failing side to show it, and ${wrong} were`;
}

/** 0.9912 → "99.12%". */
export function percent(v: number): string {
  return `${Math.round(v * 10_000) / 100}%`;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;
