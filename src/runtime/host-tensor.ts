import { fromHalfBits, toHalfBits } from '../onnx/ir/float16.js';

/**
 * Tensors as yoloq code holds them, independent of ONNX Runtime: a dtype string, dims, and a typed array in
 * row-major order. FLOAT16 values are carried as their IEEE binary16 bit patterns in a Uint16Array (Node 20 has
 * no Float16Array), exactly as onnxruntime-node takes and returns them. `session.ts` converts to and from
 * ort.Tensor; nothing here imports onnxruntime-node.
 */

export type HostDType = 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'bool';

export interface HostDataMap {
  float32: Float32Array;
  float16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type HostData = HostDataMap[HostDType];

export interface HostTensor<D extends HostDType = HostDType> {
  dtype: D;
  dims: number[];
  data: HostDataMap[D];
}

/** A float32 tensor with its dims (what decoders read). */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function hostTensor<D extends HostDType>(dtype: D, dims: number[], data: HostDataMap[D]): HostTensor<D> {
  if (data.length !== elementCount(dims))
    throw new RangeError(`${dtype} tensor of dims ${JSON.stringify(dims)} given ${data.length} values`);
  return { dtype, dims: [...dims], data };
}

let halfTable: Float32Array | undefined;

/** binary16 bits → float32, via a 65,536-entry table built on first use (256 KiB). */
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalfBits(h);
  }
  return halfTable;
}

/** float16 bit patterns → float32 values (exact). */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** float32 values → float16 bit patterns (round to nearest even). */
export function float32ToHalfBits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}

/** Any numeric host tensor as float32 values (same dims). Float32 data is returned without copying. */
export function toFloatTensor(t: HostTensor): FloatTensor {
  switch (t.dtype) {
    case 'float32':
      return { data: t.data as Float32Array, dims: t.dims };
    case 'float16':
      return { data: halfBitsToFloat32(t.data as Uint16Array), dims: t.dims };
    case 'int64':
      return { data: Float32Array.from(t.data as BigInt64Array, Number), dims: t.dims };
    default:
      return { data: Float32Array.from(t.data as ArrayLike<number>), dims: t.dims };
  }
}
