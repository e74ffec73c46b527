import { DataType, dtypeInfo, type DataTypeCode } from '../ir/dtypes.js';
import type { Dim } from '../ir/graph.js';
import { elementCount, toFloat32, toIntegers, type Tensor } from '../ir/tensor.js';
import { broadcastShapes, fail, isStatic } from './dims.js';
import type { ConstValue } from './types.js';

/**
 * Small-tensor helpers for the constant evaluator: decoding initializers, reading values as numbers, numpy
 * broadcasting and row-major index arithmetic. Everything works on plain arrays; tensors here are tiny (shape
 * vectors, scales, axes), capped by the caller's element limit.
 */

/** Integer-like dtypes (ints, uints, bool): arithmetic truncates, symbolic entries may be carried. */
export function isIntegerType(dtype: DataTypeCode): boolean {
  const kind = dtypeInfo(dtype)?.kind;
  return kind === 'int' || kind === 'uint' || kind === 'bool';
}

/** Decode an initializer or tensor attribute, or undefined when it is larger than `limit` elements or not numeric. */
export function constFromTensor(t: Tensor, limit: number): ConstValue | undefined {
  if (t.external && t.data.byteLength === 0) return undefined;
  const n = elementCount(t.dims);
  if (n > limit) return undefined;
  const kind = dtypeInfo(t.dtype)?.kind;
  try {
    if (kind === 'float') return { dtype: t.dtype, dims: [...t.dims], values: Array.from(decodeFloats(t)) };
    if (kind === 'int' || kind === 'uint' || kind === 'bool') {
      return { dtype: t.dtype, dims: [...t.dims], values: Array.from(toIntegers(t)) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** FLOAT and DOUBLE keep their exact values (toFloat32 would round doubles); other floats go through toFloat32. */
function decodeFloats(t: Tensor): ArrayLike<number> {
  if (t.dtype === DataType.DOUBLE) {
    const copy = t.data.slice();
    return new Float64Array(copy.buffer, 0, elementCount(t.dims));
  }
  return toFloat32(t);
}

/** All values as numbers, or undefined when any entry is symbolic or unknown. */
export function numbersOf(v: ConstValue | undefined): number[] | undefined {
  if (!v?.values.every((x) => typeof x === 'number')) return undefined;
  return v.values as number[];
}

/** The single value of a scalar or one-element tensor, as a number. */
export function scalarOf(v: ConstValue | undefined): number | undefined {
  const nums = numbersOf(v);
  return nums && nums.length === 1 ? nums[0] : undefined;
}

/** Row-major strides for `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Round a number the way a cast to `dtype` would (truncation for integers, 0/1 for bool). */
export function castNumber(x: number, dtype: DataTypeCode): number {
  if (dtype === DataType.BOOL) return x !== 0 ? 1 : 0;
  if (isIntegerType(dtype)) return Math.trunc(x);
  if (dtype === DataType.FLOAT) return Math.fround(x);
  return x;
}

/**
 * Elementwise map under numpy broadcasting: output dims are the broadcast of the input dims (all static here),
 * `fn` gets one entry per input. Throws when the result would exceed `limit` elements.
 */
export function broadcastMap(inputs: readonly ConstValue[], dtype: DataTypeCode, limit: number, fn: (xs: Dim[]) => Dim): ConstValue {
  const outDims = broadcastShapes(inputs.map((v) => v.dims));
  if (!isStatic(outDims)) fail('broadcast of constant shapes failed');
  const n = elementCount(outDims);
  if (n > limit) fail('constant too large');
  const rank = outDims.length;
  const inStrides = inputs.map((v) => {
    const own = stridesOf(v.dims);
    // Stride 0 on broadcast axes; left-pad to the output rank.
    return outDims.map((_, i) => {
      const k = i - (rank - v.dims.length);
      return k < 0 || v.dims[k] === 1 ? 0 : own[k]!;
    });
  });
  const outStrides = stridesOf(outDims);
  const values: Dim[] = new Array(n);
  for (let flat = 0; flat < n; flat++) {
    const xs = inputs.map((v, j) => {
      let off = 0;
      let rem = flat;
      for (let a = 0; a < rank; a++) {
        const idx = Math.floor(rem / outStrides[a]!);
        rem -= idx * outStrides[a]!;
        off += idx * inStrides[j]![a]!;
      }
      return v.values[off] ?? null;
    });
    values[flat] = fn(xs);
  }
  return { dtype, dims: outDims, values };
}

/**
 * Gather along `axis` with already-normalized indices: output dims are dims[:axis] + indexDims + dims[axis+1:].
 */
export function gatherValues(data: ConstValue, axis: number, indices: readonly number[], indexDims: readonly number[]): ConstValue {
  const outer = elementCount(data.dims.slice(0, axis));
  const inner = elementCount(data.dims.slice(axis + 1));
  const axisLen = data.dims[axis]!;
  const values: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const idx of indices) {
      if (idx < 0 || idx >= axisLen) fail(`gather index ${idx} out of range`);
      const base = (o * axisLen + idx) * inner;
      for (let i = 0; i < inner; i++) values.push(data.values[base + i] ?? null);
    }
  }
  return { dtype: data.dtype, dims: [...data.dims.slice(0, axis), ...indexDims, ...data.dims.slice(axis + 1)], values };
}

/** Concatenate along `axis` (all inputs share rank and the other dims). */
export function concatValues(parts: readonly ConstValue[], axis: number): ConstValue {
  const first = parts[0]!;
  const outer = elementCount(first.dims.slice(0, axis));
  const values: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = elementCount(p.dims.slice(axis));
      for (let i = 0; i < chunk; i++) values.push(p.values[o * chunk + i] ?? null);
    }
  }
  const dims = [...first.dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
  return { dtype: first.dtype, dims, values };
}

/** Select `picks[a]` (indices along axis a) on every axis, row-major; output dims are the pick lengths. */
export function selectValues(data: ConstValue, picks: readonly number[][]): ConstValue {
  const dims = picks.map((p) => p.length);
  const strides = stridesOf(data.dims);
  const values: Dim[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === picks.length) {
      values.push(data.values[offset] ?? null);
      return;
    }
    for (const i of picks[axis]!) walk(axis + 1, offset + i * strides[axis]!);
  };
  if (dims.every((d) => d > 0)) walk(0, 0);
  return { dtype: data.dtype, dims, values };
}
