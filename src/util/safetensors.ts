/**
 * The safetensors container (https://github.com/huggingface/safetensors, "Format"), the subset yoloq writes:
 *
 *   8 bytes    N, the header length, unsigned 64-bit little-endian
 *   N bytes    a JSON object: name → {"dtype", "shape", "data_offsets": [begin, end]}, and optionally
 *              "__metadata__": {string: string}; padded with spaces so the data starts 8-byte aligned
 *   the data   every tensor's bytes, little-endian, row-major, back to back with no hole (offsets from here)
 *
 * Tensors are laid out widest dtype first, so each starts aligned to its element size. Python reads the file with
 * `safetensors.numpy.load_file`, or by hand with `json` and `numpy.frombuffer`.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'I8' | 'U8';

const ELEMENT_BYTES: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({ F64: 8, F32: 4, I8: 1, U8: 1 });

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The raw bytes, little-endian. */
  data: Uint8Array;
}

/** A typed tensor from numbers: F64/F32 as IEEE floats, I8/U8 as bytes (values must fit). */
export function tensorFromNumbers(dtype: SafetensorsDtype, values: ArrayLike<number>, shape = [values.length]): SafetensorsTensor {
  const data = new Uint8Array(values.length * ELEMENT_BYTES[dtype]);
  const view = new DataView(data.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dtype === 'F64') view.setFloat64(8 * i, v, true);
    else if (dtype === 'F32') view.setFloat32(4 * i, v, true);
    else if (dtype === 'I8') view.setInt8(i, v);
    else view.setUint8(i, v);
  }
  return { dtype, shape, data };
}

/** A tensor's elements as numbers (F64 and F32 read exactly; I8 signed, U8 unsigned). */
export function tensorToNumbers(t: SafetensorsTensor): number[] {
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const n = t.data.byteLength / ELEMENT_BYTES[t.dtype];
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (t.dtype === 'F64') out[i] = view.getFloat64(8 * i, true);
    else if (t.dtype === 'F32') out[i] = view.getFloat32(4 * i, true);
    else if (t.dtype === 'I8') out[i] = view.getInt8(i);
    else out[i] = view.getUint8(i);
  }
  return out;
}

/** The file's bytes for `tensors` (names unique), with string `metadata`. */
export function encodeSafetensors(
  tensors: ReadonlyArray<readonly [string, SafetensorsTensor]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const order = tensors
    .map(([name, t], i) => ({ name, t, i }))
    .sort((a, b) => ELEMENT_BYTES[b.t.dtype] - ELEMENT_BYTES[a.t.dtype] || a.i - b.i);
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const { name, t } of order) {
    if (Object.hasOwn(header, name)) throw new Error(`safetensors: tensor name ${name} is used twice`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const { t } of order) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Parse a safetensors file: every tensor (its bytes are a view into `bytes`) and the metadata. Throws an Error
 * saying what is wrong: a header that runs past the end, bad JSON, an unknown dtype, a tensor whose size does
 * not match its shape, offsets outside the data or leaving a hole.
 */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> } {
  if (bytes.byteLength < 8) throw new Error(`${bytes.byteLength} bytes: shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) throw new Error(`header of ${n} bytes runs past the end of the ${bytes.byteLength}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(n)).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('header is not a JSON object');
  const start = 8 + Number(n);
  const dataBytes = bytes.byteLength - start;
  const tensors = new Map<string, SafetensorsTensor>();
  const spans: Array<[number, number]> = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafetensorsDtype;
    if (!Object.hasOwn(ELEMENT_BYTES, dtype)) throw new Error(`tensor ${name}: dtype ${JSON.stringify(e?.dtype)} is not one yoloq reads`);
    const shape = e.shape as number[];
    const offs = e.data_offsets as [number, number];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`tensor ${name}: bad shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o)) || offs[0] < 0 || offs[1] < offs[0])
      throw new Error(`tensor ${name}: bad data_offsets`);
    if (offs[1] > dataBytes) throw new Error(`tensor ${name} ends at byte ${offs[1]} of a ${dataBytes}-byte data section (truncated?)`);
    const size = shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[dtype];
    if (offs[1] - offs[0] !== size)
      throw new Error(`tensor ${name}: ${offs[1] - offs[0]} bytes for shape [${shape.join(', ')}] of ${dtype}`);
    tensors.set(name, { dtype, shape, data: bytes.subarray(start + offs[0], start + offs[1]) });
    spans.push([offs[0], offs[1]]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [b, e] of spans) {
    if (b !== end) throw new Error(`data section has a hole or an overlap at byte ${end}`);
    end = e;
  }
  if (end !== dataBytes) throw new Error(`data section is ${dataBytes} bytes, its tensors cover ${end}`);
  const meta = header.__metadata__;
  const metadata: Record<string, string> = {};
  if (meta && typeof meta === 'object') for (const [k, v] of Object.entries(meta)) if (typeof v === 'string') metadata[k] = v;
  return { tensors, metadata };
}
