import type { ObserverName, QuantPlan } from './plan.js';

/**
 * Which observer set each activation range of a plan, counted: what the plan actually chose. With range search
 * (the default recipe) each tensor gets the candidate with the least downstream error, so one plan mixes minmax,
 * percentile, MSE and entropy ranges whatever `--observer` said; summaries report these counts, not the option.
 * Most used first; ties in name order. Empty for a plan without activation ranges (A16 schemes).
 */
export function observerCounts(plan: Pick<QuantPlan, 'activations'>): Partial<Record<ObserverName, number>> {
  const counts = new Map<ObserverName, number>();
  for (const a of plan.activations) counts.set(a.observer, (counts.get(a.observer) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** "percentile 31, mse 20, minmax 12, entropy 4"; "none" when empty. */
export function formatObserverCounts(counts: Partial<Record<ObserverName, number>>): string {
  const parts = Object.entries(counts).map(([name, n]) => `${name} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
