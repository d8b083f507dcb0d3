/**
 * Load balancing across a route's targets. A balancer picks the first provider of an attempt
 * plan; the route's other targets follow in route order, as fallbacks.
 *
 * - priority: always the first target (the route is a fallback chain).
 * - weighted: smooth weighted round-robin (nginx's algorithm): the spread is even, never bursty.
 * - least-inflight: the fewest attempts in flight relative to weight; ties rotate.
 * - p2c-ewma: power of two choices (Mitzenmacher) on a peak-EWMA cost, as Finagle and Linkerd do:
 *   draw two targets, keep the one with the lower latency EWMA × (in flight + 1).
 * @module
 */
import type { Random } from "../../../base/random/prng.js";
import type { Balance } from "../config.js";

/** What a balancer may read about a provider. */
export interface ProviderLoad {
  inFlight(provider: string): number;
  /** Peak-EWMA latency to the first byte, ms (0 before any sample). */
  ewmaMs(provider: string): number;
}

export interface Balancer {
  /** The route's targets, the chosen one first; `eligible` filters out providers that cannot take an attempt now. */
  order(eligible: (provider: string) => boolean): string[];
}

export function createBalancer(kind: Balance, targets: readonly { provider: string; weight: number }[], load: ProviderLoad, random: Random): Balancer {
  const names = targets.map((t) => t.provider);
  const withFirst = (first: string | undefined) => (first === undefined || first === names[0] ? names : [first, ...names.filter((n) => n !== first)]);
  if (kind === "priority" || targets.length === 1) return { order: () => names };

  if (kind === "weighted") {
    const current = new Float64Array(targets.length);
    return {
      order(eligible) {
        let best = -1;
        let total = 0;
        for (let i = 0; i < targets.length; i++) {
          if (!eligible(targets[i]!.provider)) continue;
          total += targets[i]!.weight;
          current[i]! += targets[i]!.weight;
          if (best < 0 || current[i]! > current[best]!) best = i;
        }
        if (best < 0) return names;
        current[best]! -= total;
        return withFirst(targets[best]!.provider);
      },
    };
  }

  if (kind === "least-inflight") {
    let rotate = 0;
    return {
      order(eligible) {
        rotate = (rotate + 1) % targets.length;
        let best: string | undefined;
        let bestScore = Infinity;
        for (let k = 0; k < targets.length; k++) {
          const t = targets[(rotate + k) % targets.length]!;
          if (!eligible(t.provider)) continue;
          const score = (load.inFlight(t.provider) + 1) / t.weight;
          if (score < bestScore) [best, bestScore] = [t.provider, score];
        }
        return withFirst(best);
      },
    };
  }

  // p2c-ewma
  const total = targets.reduce((s, t) => s + t.weight, 0);
  const draw = (skip: number) => {
    let r = random() * (total - (skip >= 0 ? targets[skip]!.weight : 0));
    for (let i = 0; i < targets.length; i++) {
      if (i === skip) continue;
      r -= targets[i]!.weight;
      if (r < 0) return i;
    }
    return skip === targets.length - 1 ? targets.length - 2 : targets.length - 1;
  };
  const cost = (name: string) => load.ewmaMs(name) * (load.inFlight(name) + 1);
  return {
    order(eligible) {
      const a = draw(-1);
      const b = draw(a);
      const [x, y] = [targets[a]!.provider, targets[b]!.provider];
      const okX = eligible(x);
      const okY = eligible(y);
      if (okX && okY) return withFirst(cost(x) <= cost(y) ? x : y);
      if (okX || okY) return withFirst(okX ? x : y);
      return withFirst(names.find(eligible));
    },
  };
}

/**
 * Peak EWMA of a provider's latency. A sample above the current value replaces it at once (a
 * provider that turns slow is avoided at once); a lower one moves it 30% of the way down. While no
 * samples come, the value decays towards 0 with time constant `tauMs`, so a provider that lost
 * every pick is tried again after a while instead of being shunned forever (Finagle reads its cost
 * the same way).
 */
export class PeakEwma {
  #value = 0;
  #last = 0;

  constructor(
    private readonly tauMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get value(): number {
    return this.#value === 0 ? 0 : this.#value * Math.exp(-(this.now() - this.#last) / this.tauMs);
  }

  observe(sampleMs: number): void {
    const current = this.value;
    this.#value = sampleMs >= current ? sampleMs : current + 0.3 * (sampleMs - current);
    this.#last = this.now();
  }
}
