import type { ObserverName } from '../plan.js';
import { roundHalfEven } from '../rounding.js';
import type { StreamingHistogram } from './histogram.js';

/**
 * Range observers: each turns the statistics of one activation tensor into the [lo, hi] its 8-bit quantizer
 * covers. One function per method behind a table (the ORT calibrator's shape, without its classes).
 */
export type RangeObserver = (h: StreamingHistogram, opts: ObserverOptions) => [number, number];

export interface ObserverOptions {
  /** percentile: the share of values kept inside the range, e.g. 99.99. */
  percentile: number;
  /** Quantization levels the range is split into: 255 for uint8/asymmetric, 254 for symmetric int8. */
  levels: number;
}

const minmax: RangeObserver = (h) => [h.min, h.max];

const percentile: RangeObserver = (h, o) => {
  const tail = (100 - o.percentile) / 100;
  // Only clip a side that has a tail: a range starting at 0 (after ReLU) keeps its 0.
  const lo = h.min < 0 ? Math.min(0, h.quantile(tail)) : h.min;
  return [lo, Math.max(lo, h.quantile(1 - tail))];
};

/** Expected squared error of quantizing the histogram with `levels` steps on [lo, hi] (bin centres stand for bins). */
export function histogramMse(h: StreamingHistogram, lo: number, hi: number, levels: number): number {
  const step = (hi - lo) / levels;
  if (!(step > 0)) return Infinity;
  const w = h.binWidth();
  let err = 0;
  for (let j = 0; j < h.bins; j++) {
    const n = h.counts[j]!;
    if (n === 0) continue;
    const x = h.edge(j) + w / 2;
    const q = Math.min(levels, Math.max(0, roundHalfEven((x - lo) / step)));
    const d = x - (lo + q * step);
    // A bin's own width adds w²/12 of spread that no quantizer removes; it is the same for every candidate.
    err += n * d * d;
  }
  return err / h.total;
}

const mse: RangeObserver = (h, o) => {
  let best: [number, number] = [h.min, h.max];
  let bestErr = histogramMse(h, h.min, h.max, o.levels);
  for (let k = 1; k <= 80; k++) {
    const a = 1 - k * 0.01;
    const cand: [number, number] = [h.min * a, h.max * a];
    const e = histogramMse(h, cand[0], cand[1], o.levels);
    if (e < bestErr) {
      bestErr = e;
      best = cand;
    }
  }
  return best;
};

/** KL(P || Q) over bins, skipping empty P bins (TensorRT's calibration criterion). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! === 0) continue;
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    kl += qi > 0 ? pi * Math.log(pi / qi) : pi * 30; // an empty Q bin under mass: large but finite penalty
  }
  return kl;
}

/** Quantize the first `n` side bins into `levels` groups and spread each group's mass back over its non-empty bins. */
function quantizedCopy(side: Float64Array, n: number, levels: number): Float64Array {
  const q = new Float64Array(n);
  for (let g = 0; g < levels; g++) {
    const a = Math.floor((g * n) / levels);
    const b = Math.floor(((g + 1) * n) / levels);
    let sum = 0;
    let nonEmpty = 0;
    for (let i = a; i < b; i++) {
      sum += side[i]!;
      if (side[i]! > 0) nonEmpty++;
    }
    if (nonEmpty === 0) continue;
    for (let i = a; i < b; i++) if (side[i]! > 0) q[i] = sum / nonEmpty;
  }
  return q;
}

const entropy: RangeObserver = (h, o) => {
  // Work on the side holding the larger magnitude; the other side is clipped in the same proportion.
  const half = h.bins / 2;
  const positive = h.max >= -h.min;
  const side = new Float64Array(half);
  for (let i = 0; i < half; i++) side[i] = positive ? h.counts[half + i]! : h.counts[half - 1 - i]!;
  const extreme = positive ? h.max : -h.min;
  let used = Math.min(half, Math.ceil(extreme / h.binWidth()));
  const levels = Math.max(2, Math.round(o.levels * (extreme / (h.max - Math.min(0, h.min) || 1))));
  if (used <= levels) return [h.min, h.max];
  let bestI = used;
  let bestKl = Infinity;
  const stride = Math.max(1, Math.floor((used - levels) / 256));
  for (let i = levels; i <= used; i += stride) {
    const p = side.slice(0, i);
    let outliers = 0;
    for (let k = i; k < used; k++) outliers += side[k]!;
    p[i - 1]! += outliers;
    const kl = klDivergence(p, quantizedCopy(side, i, levels));
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  used = bestI;
  const t = Math.min(extreme, used * h.binWidth());
  const ratio = t / extreme;
  return positive ? [h.min * ratio, t] : [-t, h.max * ratio];
};

export const OBSERVERS: Readonly<Record<ObserverName, RangeObserver>> = Object.freeze({ minmax, percentile, mse, entropy });

export function isObserverName(s: string): s is ObserverName {
  return Object.hasOwn(OBSERVERS, s);
}
