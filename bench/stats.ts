/**
 * The q-quantile (0..1) of samples by nearest rank; NaN when there are none.
 *
 * @example percentile([5, 1, 3], 0.5) // 3
 */
export function percentile(samples: ArrayLike<number>, q: number): number {
  const n = samples.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[rank];
}

/** Rounds for printing and for the JSON line: 2 decimals below 10, 1 below 100, else whole. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  const f = a < 10 ? 100 : a < 100 ? 10 : 1;
  return Math.round(x * f) / f;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
