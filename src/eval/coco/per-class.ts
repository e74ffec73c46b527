/**
 * Per-category AP from the precision array: AP50-95 and AP50 for each category at area "all" and the largest
 * maxDets, i.e. `np.mean(s[s > -1])` over `precision[:, :, k, all, -1]` (and over `precision[t50, :, k, all, -1]`).
 */
import type { CocoAccumulated } from './accumulate.js';
import type { ResolvedCocoParams } from './params.js';
import { meanOfValid } from './summarize.js';
import type { CocoCategory } from './types.js';

export interface CocoClassAp {
  readonly categoryId: number;
  /** the category's name in the ground truth ('' if it has none there) */
  readonly name: string;
  /** AP averaged over IoU 0.50:0.95; −1 when the category has no counted ground truth */
  readonly ap: number;
  /** AP at IoU 0.50; −1 likewise (or when 0.5 is not among the IoU thresholds) */
  readonly ap50: number;
}

function classMean(acc: CocoAccumulated, k: number, a: number, m: number, tind: readonly number[]): number {
  const [, R, K, A, M] = acc.dims;
  const values: number[] = [];
  for (const t of tind) {
    for (let r = 0; r < R; r++) values.push(acc.precision[(((t * R + r) * K + k) * A + a) * M + m]!);
  }
  return meanOfValid(values);
}

/** One entry per evaluated category (params.catIds order, i.e. ascending id). */
export function perClassAp(acc: CocoAccumulated, params: ResolvedCocoParams, categories: readonly CocoCategory[]): CocoClassAp[] {
  const names = new Map(categories.map((c) => [c.id, c.name]));
  const a = params.areaRngLbl.indexOf('all');
  const m = params.maxDets.length - 1;
  const all = Array.from(params.iouThrs.keys());
  const t50 = all.filter((t) => params.iouThrs[t] === 0.5);
  return params.catIds.map((categoryId, k) => ({
    categoryId,
    name: names.get(categoryId) ?? '',
    ap: a < 0 ? -1 : classMean(acc, k, a, m, all),
    ap50: a < 0 ? -1 : classMean(acc, k, a, m, t50),
  }));
}
