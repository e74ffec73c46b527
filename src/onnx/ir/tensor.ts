import { DataType, byteLength, dtypeInfo, dtypeName, intRange, type DataTypeCode } from './dtypes.js';
import { fromBfloat16Bits, fromHalfBits, toHalfBits } from './float16.js';
import { fromFloat8E4M3FNBits } from './float8.js';
import { pack4, unpack2, unpack4 } from './packed.js';

/** Which TensorProto field held the data, so that a saved model stores it the same way it was read. */
export type TensorField = 'raw_data' | 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data' | 'none';

/** Where an external-data tensor lives, relative to the model file's folder. */
export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
  /** All external_data key/value entries in file order (location/offset/length/checksum/...), kept for round-trips. */
  entries: Array<[string, string]>;
}

/**
 * A constant tensor. `data` is always the canonical little-endian byte image (ONNX raw_data layout: 4-bit types
 * packed two per byte, low nibble first; bool one byte per element), whatever field the file used.
 */
export interface Tensor {
  name: string;
  dtype: DataTypeCode;
  dims: number[];
  data: Uint8Array;
  /** STRING tensors only: one UTF-8 byte string per element. */
  strings?: Uint8Array[];
  field: TensorField;
  external?: ExternalLocation;
  docString?: string;
  /** Serialized proto fields the IR does not model (segment, metadata, unknown fields). */
  rest?: Uint8Array;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * A copy of the bytes in a fresh ArrayBuffer. (Buffer#slice returns a view, not a copy, so `.slice()` on bytes
 * that may be a Node Buffer is never used for copying.)
 */
export function copyBytes(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  out.set(data);
  return out;
}

/** A view of `data` usable as a typed array of `bytesPerElement`, copying only when the offset is misaligned. */
function aligned(data: Uint8Array, bytesPerElement: number): ArrayBuffer {
  if (data.byteOffset % bytesPerElement === 0 && data.buffer instanceof ArrayBuffer) return data.buffer;
  return copyBytes(data).buffer as ArrayBuffer;
}

function typedView<T>(data: Uint8Array, bpe: number, make: (b: ArrayBuffer, off: number, n: number) => T): T {
  const buf = aligned(data, bpe);
  const offset = buf === data.buffer ? data.byteOffset : 0;
  return make(buf, offset, Math.floor(data.byteLength / bpe));
}

/**
 * Decode a numeric tensor to float64-exact numbers in a Float32Array (float types and integers up to 24 bits exactly).
 * Shape is `t.dims`, row-major. Throws for STRING and complex tensors.
 */
export function toFloat32(t: Tensor): Float32Array {
  const n = elementCount(t.dims);
  const d = t.data;
  switch (t.dtype) {
    case DataType.FLOAT:
      return typedView(d, 4, (b, o, k) => new Float32Array(b, o, k)).slice(0, n);
    case DataType.DOUBLE:
      return Float32Array.from(typedView(d, 8, (b, o, k) => new Float64Array(b, o, k)).subarray(0, n));
    case DataType.FLOAT16: {
      const u = typedView(d, 2, (b, o, k) => new Uint16Array(b, o, k));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = fromHalfBits(u[i]!);
      return out;
    }
    case DataType.BFLOAT16: {
      const u = typedView(d, 2, (b, o, k) => new Uint16Array(b, o, k));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = fromBfloat16Bits(u[i]!);
      return out;
    }
    case DataType.FLOAT8E4M3FN:
      return Float32Array.from(d.subarray(0, n), fromFloat8E4M3FNBits);
    default:
      return Float32Array.from(toIntegers(t));
  }
}

/** Decode an integer or bool tensor to numbers (INT64/UINT64 beyond 2^53 lose precision). Shape is `t.dims`. */
export function toIntegers(t: Tensor): Int32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Uint32Array {
  const n = elementCount(t.dims);
  const d = t.data;
  switch (t.dtype) {
    case DataType.INT8:
      return new Int8Array(copyBytes(d.subarray(0, n)).buffer);
    case DataType.UINT8:
    case DataType.BOOL:
      return copyBytes(d.subarray(0, n));
    case DataType.INT16:
      return typedView(d, 2, (b, o, k) => new Int16Array(b, o, k)).slice(0, n);
    case DataType.UINT16:
      return typedView(d, 2, (b, o, k) => new Uint16Array(b, o, k)).slice(0, n);
    case DataType.INT32:
      return typedView(d, 4, (b, o, k) => new Int32Array(b, o, k)).slice(0, n);
    case DataType.UINT32:
      return typedView(d, 4, (b, o, k) => new Uint32Array(b, o, k)).slice(0, n);
    case DataType.INT64:
      return Float64Array.from(typedView(d, 8, (b, o, k) => new BigInt64Array(b, o, k)).subarray(0, n), Number);
    case DataType.UINT64:
      return Float64Array.from(typedView(d, 8, (b, o, k) => new BigUint64Array(b, o, k)).subarray(0, n), Number);
    case DataType.INT4:
    case DataType.UINT4:
      return unpack4(d, n, t.dtype === DataType.INT4);
    case DataType.INT2:
    case DataType.UINT2:
      return unpack2(d, n, t.dtype === DataType.INT2);
    default:
      throw new TypeError(`tensor ${t.name}: cannot read ${dtypeName(t.dtype)} as integers`);
  }
}

/** Throws unless `data` holds exactly the bytes `dtype` × `dims` needs. */
export function assertTensorSize(t: Tensor): void {
  if (t.dtype === DataType.STRING) return;
  const info = dtypeInfo(t.dtype);
  if (!info || info.bits === 0) throw new TypeError(`tensor ${t.name}: unsupported dtype ${dtypeName(t.dtype)}`);
  const want = byteLength(t.dtype, elementCount(t.dims));
  if (t.data.byteLength !== want) {
    throw new RangeError(`tensor ${t.name}: ${dtypeName(t.dtype)}${JSON.stringify(t.dims)} needs ${want} bytes, has ${t.data.byteLength}`);
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Build a tensor from values; floats are rounded to the dtype (FLOAT/FLOAT16/DOUBLE), integers must fit. */
export function makeTensor(name: string, dtype: DataTypeCode, dims: number[], values: ArrayLike<number> | readonly bigint[]): Tensor {
  const n = elementCount(dims);
  if (values.length !== n) throw new RangeError(`tensor ${name}: ${values.length} values for dims ${JSON.stringify(dims)}`);
  const nums = values as ArrayLike<number>;
  const range = intRange(dtype);
  if (range) {
    for (let i = 0; i < n; i++) {
      const v = Number(values[i]);
      if (!Number.isInteger(v) || v < range[0] || v > range[1])
        throw new RangeError(`tensor ${name}: value ${v} does not fit ${dtypeName(dtype)}`);
    }
  }
  let data: Uint8Array;
  switch (dtype) {
    case DataType.FLOAT:
      data = bytesOf(Float32Array.from(nums));
      break;
    case DataType.DOUBLE:
      data = bytesOf(Float64Array.from(nums));
      break;
    case DataType.FLOAT16:
      data = bytesOf(Uint16Array.from(nums, toHalfBits));
      break;
    case DataType.INT8:
      data = bytesOf(Int8Array.from(nums));
      break;
    case DataType.UINT8:
    case DataType.BOOL:
      data = Uint8Array.from(nums);
      break;
    case DataType.INT16:
      data = bytesOf(Int16Array.from(nums));
      break;
    case DataType.UINT16:
      data = bytesOf(Uint16Array.from(nums));
      break;
    case DataType.INT32:
      data = bytesOf(Int32Array.from(nums));
      break;
    case DataType.UINT32:
      data = bytesOf(Uint32Array.from(nums));
      break;
    case DataType.INT64:
      data = bytesOf(BigInt64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v)));
      break;
    case DataType.UINT64:
      data = bytesOf(BigUint64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v)));
      break;
    case DataType.INT4:
    case DataType.UINT4:
      data = pack4(nums, dtype === DataType.INT4);
      break;
    default:
      throw new TypeError(`tensor ${name}: makeTensor does not build ${dtypeName(dtype)}`);
  }
  return { name, dtype, dims: [...dims], data, field: 'raw_data' };
}
