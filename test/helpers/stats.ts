/** Statistics for tests of arrival processes. */

/** Kolmogorov–Smirnov distance between the sample and the exponential distribution with `rate` per ms. */
export function ksExponential(gaps: readonly number[], ratePerMs: number): number {
  const sorted = [...gaps].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const cdf = 1 - Math.exp(-ratePerMs * x);
    d = Math.max(d, Math.abs(cdf - i / sorted.length), Math.abs(cdf - (i + 1) / sorted.length));
  });
  return d;
}

/** The differences between consecutive values. */
export const gapsOf = (xs: readonly number[]) => xs.slice(1).map((x, i) => x - xs[i]!);

/**
 * Pearson's chi-square statistic of the gaps against the exponential with `rate` per ms, in bins
 * `width` ms wide up to the one where fewer than 5% of the gaps remain, then one open bin; with its
 * degrees of freedom (bins − 1) and the critical value at `alpha` (Wilson–Hilferty).
 */
export function chiSquareExponential(gaps: readonly number[], ratePerMs: number, width: number, alpha: 0.01 | 0.001 = 0.01): { statistic: number; df: number; critical: number } {
  const cdf = (x: number) => 1 - Math.exp(-ratePerMs * x);
  const edges: number[] = [0];
  while (1 - cdf(edges.at(-1)!) > 0.05) edges.push(edges.at(-1)! + width);
  const observed = new Array<number>(edges.length).fill(0);
  for (const g of gaps) {
    const bin = Math.min(edges.length - 1, Math.floor(g / width));
    observed[bin]!++;
  }
  let statistic = 0;
  edges.forEach((lo, i) => {
    const hi = i + 1 < edges.length ? edges[i + 1]! : Number.POSITIVE_INFINITY;
    const expected = gaps.length * (cdf(hi) - cdf(lo));
    statistic += (observed[i]! - expected) ** 2 / expected;
  });
  const df = edges.length - 1;
  const z = alpha === 0.01 ? 2.326 : 3.09; // the standard normal's 99th or 99.9th percentile
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { statistic, df, critical };
}
