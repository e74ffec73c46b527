import { fromFloat8E4M3FNBits } from '../../onnx/ir/float8.js';

/**
 * FP8 E4M3FN (ONNX FLOAT8E4M3FN, the block-scale type of NVIDIA's NVFP4): 1 sign, 4 exponent (bias 7), 3 mantissa
 * bits, no infinities, 0x7F/0xFF NaN. Block scales are positive, and positive E4M3FN values increase with their byte,
 * so a scale code is the byte itself, 1…126 (0 would zero a block; 127 is NaN), and nearest-value search is a
 * binary search over this table.
 */

export const E4M3_CODE_MIN = 1;
export const E4M3_CODE_MAX = 126;

/** The value of a positive E4M3FN byte 0…126. */
export const e4m3Value: (code: number) => number = fromFloat8E4M3FNBits;

const VALUES: Float64Array = Float64Array.from({ length: E4M3_CODE_MAX + 1 }, (_, c) => e4m3Value(c));

/** The largest finite E4M3FN value (448). */
export const E4M3_MAX_VALUE = VALUES[E4M3_CODE_MAX]!;

/**
 * The code 1…126 of the E4M3FN value nearest to x ≥ 0, ties to the even byte (an even mantissa, as IEEE rounding);
 * values beyond 448 saturate, values below the smallest subnormal take code 1.
 */
export function e4m3Nearest(x: number): number {
  if (!(x > VALUES[E4M3_CODE_MIN]!)) return E4M3_CODE_MIN;
  if (x >= E4M3_MAX_VALUE) return E4M3_CODE_MAX;
  // Largest code whose value ≤ x.
  let lo = E4M3_CODE_MIN;
  let hi = E4M3_CODE_MAX;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (VALUES[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const below = x - VALUES[lo]!;
  const above = VALUES[hi]! - x;
  if (below < above) return lo;
  if (above < below) return hi;
  return lo % 2 === 0 ? lo : hi;
}
