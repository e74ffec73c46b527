import { TensorProto_DataLocation, TensorProtoSchema, type TensorProto } from './schemas.js';
import { DataType } from '../ir/dtypes.js';
import { copyBytes, type ExternalLocation, type Tensor, type TensorField } from '../ir/tensor.js';
import { has, restOf, withRest } from './rest.js';

const MODELED = new Set([
  'dims',
  'dataType',
  'floatData',
  'int32Data',
  'stringData',
  'int64Data',
  'name',
  'docString',
  'rawData',
  'externalData',
  'dataLocation',
  'doubleData',
  'uint64Data',
]);

function bytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Bytes per element when an element is carried in one int32_data entry (4/2-bit types: one packed byte). */
function int32Width(dtype: number): 1 | 2 | 4 {
  switch (dtype) {
    case DataType.INT32:
      return 4;
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return 2;
    default:
      return 1;
  }
}

function int32DataToBytes(values: number[], dtype: number): Uint8Array {
  const w = int32Width(dtype);
  if (w === 4) return bytes(Int32Array.from(values));
  if (w === 2) return bytes(Uint16Array.from(values, (v) => v & 0xffff));
  return Uint8Array.from(values, (v) => v & 0xff);
}

/** int32_data as onnx's own helpers write it: INT8/INT16 sign-extended, every other type unsigned. */
function bytesToInt32Data(data: Uint8Array, dtype: number): number[] {
  const w = int32Width(dtype);
  const copy = copyBytes(data);
  if (w === 4) return Array.from(new Int32Array(copy.buffer));
  if (w === 2) return Array.from(dtype === DataType.INT16 ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer));
  return Array.from(dtype === DataType.INT8 ? new Int8Array(copy.buffer) : copy);
}

function externalOf(p: TensorProto): ExternalLocation {
  const entries = p.externalData.map((e): [string, string] => [e.key, e.value]);
  const get = (k: string) => entries.find(([key]) => key === k)?.[1];
  const num = (k: string, fallback: number): number => {
    const s = get(k);
    if (s === undefined) return fallback;
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`tensor ${p.name}: external_data ${k}="${s}" is not a byte count`);
    return n;
  };
  return { location: get('location') ?? '', offset: num('offset', 0), length: num('length', -1), entries };
}

/** TensorProto → IR tensor. External data is left empty here; the file layer reads it. */
export function decodeTensor(p: TensorProto): Tensor {
  const dtype = p.dataType;
  const t: Tensor = { name: p.name, dtype, dims: p.dims.map(Number), data: new Uint8Array(0), field: 'none' };
  if (has(p, 'docString')) t.docString = p.docString;
  const rest = restOf(TensorProtoSchema, p, MODELED);
  if (rest) t.rest = rest;
  if (p.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    t.external = externalOf(p);
    return t;
  }
  let field: TensorField = 'none';
  if (has(p, 'rawData')) {
    field = 'raw_data';
    t.data = p.rawData;
  } else if (p.floatData.length > 0) {
    field = 'float_data';
    t.data = bytes(Float32Array.from(p.floatData));
  } else if (p.int32Data.length > 0) {
    field = 'int32_data';
    t.data = int32DataToBytes(p.int32Data, dtype);
  } else if (p.int64Data.length > 0) {
    field = 'int64_data';
    t.data = bytes(BigInt64Array.from(p.int64Data));
  } else if (p.doubleData.length > 0) {
    field = 'double_data';
    t.data = bytes(Float64Array.from(p.doubleData));
  } else if (p.uint64Data.length > 0) {
    field = 'uint64_data';
    t.data = dtype === DataType.UINT32 ? bytes(Uint32Array.from(p.uint64Data, Number)) : bytes(BigUint64Array.from(p.uint64Data));
  } else if (p.stringData.length > 0) {
    field = 'string_data';
    t.strings = p.stringData;
  }
  t.field = field;
  return t;
}

/** IR tensor → TensorProto, writing the data into the field it came from (or external data, when `external` is set). */
export function encodeTensor(t: Tensor): TensorProto {
  const p = withRest(TensorProtoSchema, t.rest);
  p.dims = t.dims.map(BigInt);
  p.dataType = t.dtype;
  if (t.name) p.name = t.name;
  if (t.docString !== undefined) p.docString = t.docString;
  if (t.external) {
    p.externalData = t.external.entries.map(([key, value]) => ({ $typeName: 'onnx.StringStringEntryProto', key, value }));
    p.dataLocation = TensorProto_DataLocation.EXTERNAL;
    return p;
  }
  const d = t.data;
  switch (t.field) {
    case 'raw_data':
      p.rawData = d as Uint8Array<ArrayBuffer>;
      break;
    case 'float_data':
      p.floatData = Array.from(new Float32Array(copyBytes(d).buffer));
      break;
    case 'int32_data':
      p.int32Data = bytesToInt32Data(d, t.dtype);
      break;
    case 'int64_data':
      p.int64Data = Array.from(new BigInt64Array(copyBytes(d).buffer));
      break;
    case 'double_data':
      p.doubleData = Array.from(new Float64Array(copyBytes(d).buffer));
      break;
    case 'uint64_data':
      p.uint64Data =
        t.dtype === DataType.UINT32
          ? Array.from(new Uint32Array(copyBytes(d).buffer), BigInt)
          : Array.from(new BigUint64Array(copyBytes(d).buffer));
      break;
    case 'string_data':
      p.stringData = (t.strings ?? []) as Uint8Array<ArrayBuffer>[];
      break;
    case 'none':
      // A tensor built in memory with data but no field yet goes to raw_data.
      if (d.byteLength > 0) p.rawData = d as Uint8Array<ArrayBuffer>;
      else if (t.strings && t.strings.length > 0) p.stringData = t.strings as Uint8Array<ArrayBuffer>[];
      break;
  }
  return p;
}
