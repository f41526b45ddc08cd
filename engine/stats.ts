// Order statistics over repeated timings.

import type { LatencyStats } from '../common/profile.js';

export type { LatencyStats };

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function latencyStats(values: number[]): LatencyStats {
  const s = values.slice().sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0] ?? 0 };
}

export function median(values: number[]): number {
  return latencyStats(values).median;
}
