/**
 * Phase 3: the 12 COCO summary numbers, computed and printed exactly as pycocotools' `summarize` does for bbox
 * (means over entries > −1, −1 when there are none; numpy's pairwise summation so even the last bit agrees).
 */
import type { CocoAccumulated } from './accumulate.js';
import type { ResolvedCocoParams } from './params.js';

/** Short names of the 12 stats, in order. */
export const COCO_STAT_NAMES: readonly string[] = Object.freeze([
  'AP',
  'AP50',
  'AP75',
  'APs',
  'APm',
  'APl',
  'AR1',
  'AR10',
  'AR100',
  'ARs',
  'ARm',
  'ARl',
]);

interface StatSpec {
  readonly ap: boolean;
  readonly iouThr?: number;
  readonly area: string;
  /** index into maxDets, or a literal maxDets value (pycocotools' first stat uses the literal 100) */
  readonly maxDets: { readonly index: number } | { readonly value: number };
}

const SPECS: readonly StatSpec[] = [
  { ap: true, area: 'all', maxDets: { value: 100 } },
  { ap: true, iouThr: 0.5, area: 'all', maxDets: { index: 2 } },
  { ap: true, iouThr: 0.75, area: 'all', maxDets: { index: 2 } },
  { ap: true, area: 'small', maxDets: { index: 2 } },
  { ap: true, area: 'medium', maxDets: { index: 2 } },
  { ap: true, area: 'large', maxDets: { index: 2 } },
  { ap: false, area: 'all', maxDets: { index: 0 } },
  { ap: false, area: 'all', maxDets: { index: 1 } },
  { ap: false, area: 'all', maxDets: { index: 2 } },
  { ap: false, area: 'small', maxDets: { index: 2 } },
  { ap: false, area: 'medium', maxDets: { index: 2 } },
  { ap: false, area: 'large', maxDets: { index: 2 } },
];

/** numpy's pairwise summation (`np.add.reduce` on a contiguous float64 array): blocks of ≤128, 8 accumulators. */
export function pairwiseSum(a: ArrayLike<number>, lo = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[lo + i]!;
    return s;
  }
  if (n <= 128) {
    const r = [a[lo]!, a[lo + 1]!, a[lo + 2]!, a[lo + 3]!, a[lo + 4]!, a[lo + 5]!, a[lo + 6]!, a[lo + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j]! += a[lo + i + j]!;
    }
    let s = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) s += a[lo + i]!;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

/** Mean of the entries > −1 as `np.mean(s[s > -1])` computes it; −1 when there are none. */
export function meanOfValid(values: readonly number[]): number {
  const kept = values.filter((v) => v > -1);
  return kept.length === 0 ? -1 : pairwiseSum(kept) / kept.length;
}

function indicesWhere<T>(xs: ArrayLike<T>, pred: (x: T) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) if (pred(xs[i]!)) out.push(i);
  return out;
}

/** numpy broadcasting of two index lists used together (`s[..., aind, mind]`). */
function pairs(aind: number[], mind: number[]): Array<[number, number]> {
  if (aind.length === 0 || mind.length === 0) return [];
  const n = Math.max(aind.length, mind.length);
  const pick = (xs: number[], j: number): number => (xs.length === 1 ? xs[0]! : xs[j]!);
  if ((aind.length !== 1 && aind.length !== n) || (mind.length !== 1 && mind.length !== n)) return [];
  return Array.from({ length: n }, (_, j) => [pick(aind, j), pick(mind, j)]);
}

function statValue(acc: CocoAccumulated, p: ResolvedCocoParams, spec: StatSpec): number {
  const [, R, K, A, M] = acc.dims;
  const maxDet = 'value' in spec.maxDets ? spec.maxDets.value : p.maxDets[spec.maxDets.index];
  if (maxDet === undefined) return -1;
  const tind = spec.iouThr === undefined ? indicesWhere(p.iouThrs, () => true) : indicesWhere(p.iouThrs, (x) => x === spec.iouThr);
  const am = pairs(
    indicesWhere(p.areaRngLbl, (l) => l === spec.area),
    indicesWhere(p.maxDets, (m) => m === maxDet),
  );
  const values: number[] = [];
  for (const t of tind) {
    if (spec.ap) {
      for (let r = 0; r < R; r++) {
        for (let k = 0; k < K; k++) for (const [a, m] of am) values.push(acc.precision[(((t * R + r) * K + k) * A + a) * M + m]!);
      }
    } else {
      for (let k = 0; k < K; k++) for (const [a, m] of am) values.push(acc.recall[((t * K + k) * A + a) * M + m]!);
    }
  }
  return meanOfValid(values);
}

/** The 12 COCO bbox stats (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl), −1 where undefined. */
export function summarize(acc: CocoAccumulated, params: ResolvedCocoParams): number[] {
  return SPECS.map((spec) => statValue(acc, params, spec));
}

/** Python's `'{:.Nf}'.format(x)`: like toFixed, but exact halfway cases round to even. */
export function formatFixed(x: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = x * scale;
  if (Number.isFinite(scaled) && Math.abs(scaled - Math.trunc(scaled)) === 0.5 && scaled / scale === x) {
    const down = Math.trunc(scaled);
    const even = down % 2 === 0 ? down : down + Math.sign(scaled);
    return (even / scale).toFixed(digits);
  }
  return x.toFixed(digits);
}

/** The 12 lines pycocotools prints, character for character. */
export function formatSummary(stats: readonly number[], params: ResolvedCocoParams): string[] {
  const iou = params.iouThrs;
  return SPECS.map((spec, j) => {
    const title = (spec.ap ? 'Average Precision' : 'Average Recall').padEnd(18);
    const type = spec.ap ? '(AP)' : '(AR)';
    const iouStr =
      spec.iouThr === undefined ? `${formatFixed(iou[0]!, 2)}:${formatFixed(iou[iou.length - 1]!, 2)}` : formatFixed(spec.iouThr, 2);
    const maxDet = 'value' in spec.maxDets ? spec.maxDets.value : (params.maxDets[spec.maxDets.index] ?? 0);
    const value = formatFixed(stats[j] ?? -1, 3);
    return ` ${title} ${type} @[ IoU=${iouStr.padEnd(9)} | area=${spec.area.padStart(6)} | maxDets=${String(maxDet).padStart(3)} ] = ${value}`;
  });
}
