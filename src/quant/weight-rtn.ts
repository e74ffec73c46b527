import { roundHalfEven } from './rounding.js';

export interface SymmetricQuantized {
  /** Integer codes, same layout as the input weight. */
  q: Int8Array;
  /** One scale per channel along `axis` (length 1 for per-tensor). */
  scales: Float32Array;
}

/**
 * Symmetric round-to-nearest quantization of a weight, per channel along `axis` (or per tensor when axis is null).
 * Narrow range (default) uses [-(2^(b-1)-1), 2^(b-1)-1], e.g. [-7, 7] at 4 bits as Brevitas does; scale = max|w| / qmax.
 * `w` is row-major with shape `dims`. An all-zero channel gets scale 1 (any scale reproduces zeros).
 */
export function quantizeSymmetric(w: Float32Array, dims: readonly number[], bits: number, axis: number | null, narrow = true): SymmetricQuantized {
  const qmax = 2 ** (bits - 1) - 1;
  const qmin = narrow ? -qmax : -qmax - 1;
  const channels = axis === null ? 1 : dims[axis]!;
  const inner = axis === null ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w[i]!));
  }
  const scales = maxAbs.map((m) => (m > 0 ? m / qmax : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    q[i] = Math.min(qmax, Math.max(qmin, roundHalfEven(w[i]! / scales[c]!)));
  }
  return { q, scales };
}
