/**
 * ONNX tensor element types. Codes are TensorProto.DataType values; `bits` is the storage width of one element
 * (4-bit and 2-bit types are packed, low bits first, as the ONNX spec requires).
 */
export const DataType = Object.freeze({
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
});
export type DataTypeName = keyof typeof DataType;
export type DataTypeCode = number;

export interface DataTypeInfo {
  readonly code: DataTypeCode;
  readonly name: DataTypeName;
  /** Storage bits per element; 0 for STRING (variable). */
  readonly bits: number;
  readonly kind: 'float' | 'int' | 'uint' | 'bool' | 'string' | 'complex' | 'undefined';
}

const INFO: Record<DataTypeName, Omit<DataTypeInfo, 'code' | 'name'>> = {
  UNDEFINED: { bits: 0, kind: 'undefined' },
  FLOAT: { bits: 32, kind: 'float' },
  UINT8: { bits: 8, kind: 'uint' },
  INT8: { bits: 8, kind: 'int' },
  UINT16: { bits: 16, kind: 'uint' },
  INT16: { bits: 16, kind: 'int' },
  INT32: { bits: 32, kind: 'int' },
  INT64: { bits: 64, kind: 'int' },
  STRING: { bits: 0, kind: 'string' },
  BOOL: { bits: 8, kind: 'bool' },
  FLOAT16: { bits: 16, kind: 'float' },
  DOUBLE: { bits: 64, kind: 'float' },
  UINT32: { bits: 32, kind: 'uint' },
  UINT64: { bits: 64, kind: 'uint' },
  COMPLEX64: { bits: 64, kind: 'complex' },
  COMPLEX128: { bits: 128, kind: 'complex' },
  BFLOAT16: { bits: 16, kind: 'float' },
  FLOAT8E4M3FN: { bits: 8, kind: 'float' },
  FLOAT8E4M3FNUZ: { bits: 8, kind: 'float' },
  FLOAT8E5M2: { bits: 8, kind: 'float' },
  FLOAT8E5M2FNUZ: { bits: 8, kind: 'float' },
  UINT4: { bits: 4, kind: 'uint' },
  INT4: { bits: 4, kind: 'int' },
  FLOAT4E2M1: { bits: 4, kind: 'float' },
  FLOAT8E8M0: { bits: 8, kind: 'float' },
  UINT2: { bits: 2, kind: 'uint' },
  INT2: { bits: 2, kind: 'int' },
};

const BY_CODE = new Map<number, DataTypeInfo>(
  (Object.keys(DataType) as DataTypeName[]).map((name) => [DataType[name], { code: DataType[name], name, ...INFO[name] }]),
);

/** Info for a dtype code, or undefined for codes this version of ONNX does not define. */
export function dtypeInfo(code: DataTypeCode): DataTypeInfo | undefined {
  return BY_CODE.get(code);
}

export function dtypeName(code: DataTypeCode): string {
  return BY_CODE.get(code)?.name ?? `UNKNOWN(${code})`;
}

/** Bytes needed to store `count` elements of `code` (packed types round up). Throws for STRING. */
export function byteLength(code: DataTypeCode, count: number): number {
  const info = BY_CODE.get(code);
  if (!info || info.bits === 0) throw new Error(`dtype ${dtypeName(code)} has no fixed element size`);
  return Math.ceil((count * info.bits) / 8);
}

export function isFloatType(code: DataTypeCode): boolean {
  return BY_CODE.get(code)?.kind === 'float';
}

/** Value range of an integer dtype, as [min, max]. */
export function intRange(code: DataTypeCode): [number, number] | undefined {
  const info = BY_CODE.get(code);
  if (!info || (info.kind !== 'int' && info.kind !== 'uint') || info.bits > 32) return undefined;
  return info.kind === 'int' ? [-(2 ** (info.bits - 1)), 2 ** (info.bits - 1) - 1] : [0, 2 ** info.bits - 1];
}
