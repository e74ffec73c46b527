import type { WeightGranularity } from '../plan.js';
import { roundHalfEven } from '../rounding.js';
import { codeRange, scaleLayout } from './layout.js';

/**
 * Integer codes of a float weight for given scales, exactly as ONNX QuantizeLinear computes them:
 * clamp(roundHalfEven(float32(w / s))). `w` is row-major with `shape`; returns int8 codes in the same layout.
 */
export function quantizeCodes(
  w: Float32Array,
  shape: readonly number[],
  g: WeightGranularity,
  scales: ArrayLike<number>,
  bits: number,
  narrow: boolean,
): Int8Array {
  const layout = scaleLayout(shape, g);
  const [qmin, qmax] = codeRange(bits, narrow);
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = roundHalfEven(Math.fround(w[i]! / scales[layout.indexOf(i)]!));
    q[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return q;
}

/** float32((code − zero point) × scale), what DequantizeLinear produces; zero points default to 0. */
export function dequantizeCodes(
  q: Int8Array,
  shape: readonly number[],
  g: WeightGranularity,
  scales: ArrayLike<number>,
  zeroPoints?: ArrayLike<number>,
): Float32Array {
  const layout = scaleLayout(shape, g);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const k = layout.indexOf(i);
    out[i] = Math.fround((q[i]! - (zeroPoints ? zeroPoints[k]! : 0)) * scales[k]!);
  }
  return out;
}

/**
 * Round-to-nearest scales: max|w| of each scale group divided by qmax, as float32. A group of zeros gets
 * scale 1 (any scale reproduces zeros, and DequantizeLinear needs a positive one).
 */
export function maxAbsScales(w: Float32Array, shape: readonly number[], g: WeightGranularity, bits: number): Float32Array {
  const layout = scaleLayout(shape, g);
  const qmax = 2 ** (bits - 1) - 1;
  const maxAbs = new Float32Array(layout.count);
  for (let i = 0; i < w.length; i++) {
    const k = layout.indexOf(i);
    const a = Math.abs(w[i]!);
    if (a > maxAbs[k]!) maxAbs[k] = a;
  }
  return maxAbs.map((m) => (m > 0 ? Math.fround(m / qmax) : 1));
}
