import { DataType, dtypeInfo, dtypeName, type DataTypeCode } from '../../src/onnx/ir/dtypes.js';
import { fromBfloat16Bits, fromHalfBits, toBfloat16Bits, toHalfBits } from '../../src/onnx/ir/float16.js';
import { elementCount, toFloat32, toIntegers, type Tensor } from '../../src/onnx/ir/tensor.js';

/**
 * The reference interpreter's value: a dense row-major tensor whose elements are plain numbers.
 * Storage: Float64Array for DOUBLE and the 32/64-bit integer types (exact up to 2^53), Float32Array for everything
 * else (FLOAT, FLOAT16, BFLOAT16 values and ≤16-bit integers and BOOL, all exact in float32). FLOAT16/BFLOAT16 data
 * holds values already rounded to that type, so a float16 graph computes in float32 and rounds after every op.
 */
export type RefData = Float32Array | Float64Array;

export interface RefTensor {
  dims: number[];
  dtype: DataTypeCode;
  data: RefData;
}

const WIDE = new Set<number>([DataType.DOUBLE, DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64]);
const FLOATS = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

/** FLOAT, FLOAT16, BFLOAT16 or DOUBLE. */
export function isFloatDtype(dtype: DataTypeCode): boolean {
  return FLOATS.has(dtype);
}

/** Zero-filled storage for `n` elements of `dtype`. */
export function allocate(dtype: DataTypeCode, n: number): RefData {
  return WIDE.has(dtype) ? new Float64Array(n) : new Float32Array(n);
}

/** A tensor of `dtype` and shape `dims` over `data` (zeros when omitted); throws when the sizes disagree. */
export function makeRef(dtype: DataTypeCode, dims: readonly number[], data?: RefData): RefTensor {
  const n = elementCount(dims);
  const out = data ?? allocate(dtype, n);
  if (out.length !== n) throw new RangeError(`reference: ${out.length} values for ${dtypeName(dtype)}${JSON.stringify(dims)}`);
  return { dims: [...dims], dtype, data: out };
}

/** A scalar-or-1-D value as numbers (shapes, axes, indices). */
export function toNumbers(t: RefTensor): number[] {
  return Array.from(t.data);
}

/** A single number from a tensor of one element. */
export function scalarOf(t: RefTensor): number {
  if (t.data.length !== 1) throw new RangeError(`reference: expected one element, got dims ${JSON.stringify(t.dims)}`);
  return t.data[0]!;
}

/** Float32 bits of the binary16 value of every float16 code, built once on first use. */
let halfTable: Float32Array | undefined;

function roundHalf(v: number): number {
  halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => fromHalfBits(h));
  return halfTable[toHalfBits(v)]!;
}

/** Integer conversion as a C cast does for in-range values; out-of-range values wrap like a typed-array store. */
const WRAP: Partial<Record<number, (v: number) => number>> = {
  [DataType.INT8]: (v) => (v << 24) >> 24,
  [DataType.UINT8]: (v) => v & 0xff,
  [DataType.INT16]: (v) => (v << 16) >> 16,
  [DataType.UINT16]: (v) => v & 0xffff,
  [DataType.INT32]: (v) => v | 0,
  [DataType.UINT32]: (v) => v >>> 0,
};

/**
 * Round every element in place to what `dtype` can hold: float32 storage already rounds FLOAT; FLOAT16/BFLOAT16
 * round to nearest even; integer types truncate toward zero (then wrap for ≤32-bit types); BOOL becomes 0/1.
 */
export function roundInPlace(dtype: DataTypeCode, data: RefData): RefData {
  const n = data.length;
  if (dtype === DataType.FLOAT || dtype === DataType.DOUBLE) return data;
  if (dtype === DataType.FLOAT16) {
    for (let i = 0; i < n; i++) data[i] = roundHalf(data[i]!);
  } else if (dtype === DataType.BFLOAT16) {
    for (let i = 0; i < n; i++) data[i] = fromBfloat16Bits(toBfloat16Bits(data[i]!));
  } else if (dtype === DataType.BOOL) {
    for (let i = 0; i < n; i++) data[i] = data[i] !== 0 ? 1 : 0;
  } else {
    const kind = dtypeInfo(dtype)?.kind;
    if (kind !== 'int' && kind !== 'uint') throw new TypeError(`reference: cannot compute in ${dtypeName(dtype)}`);
    const wrap = WRAP[dtype];
    for (let i = 0; i < n; i++) {
      const t = Math.trunc(data[i]!);
      data[i] = wrap ? wrap(Number.isFinite(t) ? t : 0) : t;
    }
  }
  return data;
}

/** A float kernel's float32 result as a tensor of `dtype` (FLOAT16 rounded, DOUBLE widened). Shape `dims`. */
export function floatResult(dtype: DataTypeCode, dims: readonly number[], data: Float32Array): RefTensor {
  if (dtype === DataType.DOUBLE) return makeRef(dtype, dims, Float64Array.from(data));
  return makeRef(dtype, dims, roundInPlace(dtype, data));
}

/** Storage for `dtype` filled from any numbers, then rounded to the dtype. Shape `dims`. */
export function refFromValues(dtype: DataTypeCode, dims: readonly number[], values: ArrayLike<number>): RefTensor {
  const data = allocate(dtype, values.length);
  data.set(values);
  return makeRef(dtype, dims, roundInPlace(dtype, data));
}

/** An IR constant as a reference value (INT4/UINT4 unpacked, FLOAT16 decoded, INT64 as float64). */
export function refFromTensor(t: Tensor): RefTensor {
  if (t.dtype === DataType.STRING) throw new TypeError(`reference: STRING tensor ${t.name} is not supported`);
  if (isFloatDtype(t.dtype) && t.dtype !== DataType.DOUBLE) return makeRef(t.dtype, t.dims, toFloat32(t));
  if (t.dtype === DataType.DOUBLE) {
    const bytes = new Uint8Array(t.data);
    return makeRef(t.dtype, t.dims, new Float64Array(bytes.buffer, 0, elementCount(t.dims)));
  }
  return refFromValues(t.dtype, t.dims, toIntegers(t));
}

/** Row-major strides of `dims` (elements). */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Normalize a possibly negative axis for `rank`; throws when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`reference: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcast of several shapes; throws on incompatible dims. */
export function broadcastDims(...shapes: ReadonlyArray<readonly number[]>): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      const d = s[i]!;
      if (d === out[k] || d === 1) continue;
      if (out[k] !== 1) throw new RangeError(`reference: cannot broadcast ${JSON.stringify(shapes)}`);
      out[k] = d;
    }
  }
  return out;
}

/**
 * For a tensor of shape `dims` broadcast to `outDims`, the source index of every output element (row-major),
 * as an Int32Array of length product(outDims).
 */
export function broadcastIndex(dims: readonly number[], outDims: readonly number[]): Int32Array {
  const rank = outDims.length;
  const src = stridesOf(dims);
  // Stride of each output axis in the source: 0 where the source is broadcast.
  const steps = outDims.map((_, k) => {
    const j = k - (rank - dims.length);
    return j < 0 || dims[j] === 1 ? 0 : src[j]!;
  });
  return stridedIndex(outDims, steps);
}

/**
 * Source index of every element of an output of shape `outDims` (row-major) when moving one step along output
 * axis k moves `steps[k]` elements in the source (broadcast: 0; transpose: the permuted input stride).
 */
export function stridedIndex(outDims: readonly number[], steps: readonly number[], start = 0): Int32Array {
  const n = outDims.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  const rank = outDims.length;
  const last = rank - 1;
  const inner = rank > 0 ? outDims[last]! : 1;
  const innerStep = rank > 0 ? steps[last]! : 0;
  const counter = new Array<number>(rank).fill(0);
  let at = start;
  for (let i = 0; i < n; i += inner) {
    for (let j = 0; j < inner; j++) idx[i + j] = at + j * innerStep;
    for (let k = last - 1; k >= 0; k--) {
      counter[k]! += 1;
      at += steps[k]!;
      if (counter[k]! < outDims[k]!) break;
      at -= steps[k]! * outDims[k]!;
      counter[k] = 0;
    }
  }
  return idx;
}

/** Round half to even (IEEE roundTiesToEven, as ONNX Round and QuantizeLinear use). */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends ties up; step back when that lands on an odd integer.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
