import { DataType } from './dtypes.js';
import { elementCount, toFloat32, type Tensor } from './tensor.js';

/**
 * NaN and ±Inf in constant tensors. A model trained into divergence, or damaged on disk, can carry them; ONNX
 * Runtime runs it anyway and every quantizer would turn them into NaN scales and codes, so `check` reports them
 * and `quantize` refuses them (docs/reliability.md).
 */

/** How many elements of a tensor are NaN, +Inf and -Inf. */
export interface NonFiniteCount {
  nan: number;
  posInf: number;
  negInf: number;
}

/** The float types whose values we scan (FLOAT, FLOAT16, BFLOAT16, DOUBLE; the 8-bit floats are not decoded). */
const SCANNED = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

/** The non-finite elements of `t`, or undefined when it has none (or is not a scanned float type, or holds no bytes). */
export function nonFiniteCount(t: Tensor): NonFiniteCount | undefined {
  if (!SCANNED.has(t.dtype) || t.data.byteLength === 0 || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
  const n = elementCount(t.dims);
  const bytesPer = t.dtype === DataType.DOUBLE ? 8 : t.dtype === DataType.FLOAT ? 4 : 2;
  if (t.data.byteLength < n * bytesPer) return undefined;
  const v = toFloat32(t);
  const c: NonFiniteCount = { nan: 0, posInf: 0, negInf: 0 };
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x - x === 0) continue; // finite
    if (Number.isNaN(x)) c.nan++;
    else if (x > 0) c.posInf++;
    else c.negInf++;
  }
  return c.nan + c.posInf + c.negInf > 0 ? c : undefined;
}

/** "3 NaN, 1 +Inf" */
export function describeNonFinite(c: NonFiniteCount): string {
  return [c.nan ? `${c.nan} NaN` : '', c.posInf ? `${c.posInf} +Inf` : '', c.negInf ? `${c.negInf} -Inf` : ''].filter(Boolean).join(', ');
}
