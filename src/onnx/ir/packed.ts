/**
 * 4-bit packing as the ONNX spec defines it for INT4/UINT4: two elements per byte, the first element in the low
 * nibble, an odd count leaves the last high nibble zero.
 */

/** Pack integer values (each within the 4-bit range of `signed`) into ceil(n/2) bytes. Throws on out-of-range input. */
export function pack4(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const lo = signed ? -8 : 0;
  const hi = signed ? 7 : 15;
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`value ${v} at ${i} is outside the 4-bit range [${lo}, ${hi}]`);
    const nibble = v & 0x0f;
    out[i >> 1]! |= i & 1 ? nibble << 4 : nibble;
  }
  return out;
}

/** Unpack `count` 4-bit elements from `bytes`; signed nibbles are sign-extended. */
export function unpack4(bytes: Uint8Array, count: number, signed: boolean): Int8Array {
  if (bytes.length < Math.ceil(count / 2)) throw new RangeError(`${bytes.length} bytes cannot hold ${count} packed 4-bit values`);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const byte = bytes[i >> 1]!;
    const nibble = i & 1 ? byte >> 4 : byte & 0x0f;
    out[i] = signed && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}

/** Unpack 2-bit elements (INT2/UINT2), four per byte, lowest bits first. */
export function unpack2(bytes: Uint8Array, count: number, signed: boolean): Int8Array {
  if (bytes.length < Math.ceil(count / 4)) throw new RangeError(`${bytes.length} bytes cannot hold ${count} packed 2-bit values`);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const v = (bytes[i >> 2]! >> ((i & 3) * 2)) & 3;
    out[i] = signed && v > 1 ? v - 4 : v;
  }
  return out;
}
