/**
 * Evaluation parameters, with pycocotools' bbox defaults reproduced bit for bit (its `Params.setDetParams`).
 */
import { InputError } from '../../errors.js';
import type { CocoGroundTruth } from './types.js';

/** An area range `[min, max]` in pixels², both ends inclusive. */
export type AreaRange = readonly [number, number];

/** What a caller may set. Every field is optional in `evaluateCoco`; missing ones take the defaults below. */
export interface CocoParams {
  /** Images to evaluate. Default: every image of the ground truth. Sorted and deduplicated before use. */
  readonly imgIds?: readonly number[];
  /** Categories to evaluate. Default: every category of the ground truth. Sorted and deduplicated before use. */
  readonly catIds?: readonly number[];
  /** IoU thresholds, T of them (at most 32). Default: 0.50, 0.55, …, 0.95 as numpy's linspace gives them. */
  readonly iouThrs: readonly number[];
  /** Recall thresholds, R of them, non-decreasing. Default: 0, 0.01, …, 1 (101 points). */
  readonly recThrs: readonly number[];
  /** Detections kept per image, M of them. Default [1, 10, 100]. Sorted before use. */
  readonly maxDets: readonly number[];
  /** Object area ranges, A of them. Default all/small/medium/large: [0,1e10], [0,32²], [32²,96²], [96²,1e10]. */
  readonly areaRng: readonly AreaRange[];
  /** A name per area range; `summarize` looks ranges up by these names. */
  readonly areaRngLbl: readonly string[];
}

/** Parameters after defaults, sorting and checks: what the evaluation phases read. */
export interface ResolvedCocoParams {
  readonly imgIds: readonly number[];
  readonly catIds: readonly number[];
  /** float64 [T] */
  readonly iouThrs: Float64Array;
  /** float64 [R] */
  readonly recThrs: Float64Array;
  /** [M], ascending */
  readonly maxDets: readonly number[];
  /** [A] */
  readonly areaRng: readonly AreaRange[];
  /** [A] */
  readonly areaRngLbl: readonly string[];
}

/**
 * numpy's `linspace(start, stop, num, endpoint=True)` in float64, computed the same way (i·step + start, the last
 * value set to `stop` exactly) so the values match bit for bit, e.g. 0.8999999999999999 for the ninth IoU threshold.
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  for (let i = 0; i < num; i++) {
    out[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  }
  if (num > 1) out[num - 1] = stop;
  else if (num === 1) out[0] = start;
  return out;
}

/** pycocotools' default bbox parameters (image and category ids come from the ground truth). */
export function defaultCocoParams(): CocoParams {
  return {
    iouThrs: Array.from(linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1)),
    recThrs: Array.from(linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1)),
    maxDets: [1, 10, 100],
    areaRng: [
      [0 ** 2, 1e5 ** 2],
      [0 ** 2, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e5 ** 2],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
  };
}

function sortedUnique(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

function checkFinite(values: readonly number[], what: string, min = 1): void {
  if (values.length < min) throw new InputError(`COCO eval params: ${what} needs at least ${min} value(s)`);
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`COCO eval params: ${what} must hold finite numbers, got ${String(v)}`);
    }
  }
}

function checkParams(p: CocoParams): void {
  checkFinite(p.iouThrs, 'iouThrs');
  if (p.iouThrs.length > 32) throw new InputError('COCO eval params: at most 32 iouThrs are supported');
  checkFinite(p.recThrs, 'recThrs');
  for (let i = 1; i < p.recThrs.length; i++) {
    if (p.recThrs[i]! < p.recThrs[i - 1]!) throw new InputError('COCO eval params: recThrs must be non-decreasing');
  }
  checkFinite(p.maxDets, 'maxDets');
  for (const m of p.maxDets) {
    if (!Number.isInteger(m) || m < 1) throw new InputError(`COCO eval params: maxDets must be positive integers, got ${m}`);
  }
  if (p.areaRng.length === 0 || p.areaRng.length !== p.areaRngLbl.length) {
    throw new InputError('COCO eval params: areaRng and areaRngLbl must be non-empty and of the same length');
  }
  for (const r of p.areaRng) checkFinite(r, 'each areaRng entry', 2);
}

/**
 * Fill in defaults (image and category ids from `gt`), sort ids and maxDets the way pycocotools does, and check
 * the values. Throws `InputError` on unusable parameters.
 */
export function resolveCocoParams(gt: CocoGroundTruth, overrides: Partial<CocoParams> = {}): ResolvedCocoParams {
  const p: CocoParams = { ...defaultCocoParams(), ...overrides };
  checkParams(p);
  return {
    imgIds: sortedUnique(p.imgIds ?? gt.images.map((im) => im.id)),
    catIds: sortedUnique(p.catIds ?? gt.categories.map((c) => c.id)),
    iouThrs: Float64Array.from(p.iouThrs),
    recThrs: Float64Array.from(p.recThrs),
    maxDets: [...p.maxDets].sort((a, b) => a - b),
    areaRng: p.areaRng.map((r) => [r[0], r[1]] as const),
    areaRngLbl: [...p.areaRngLbl],
  };
}
