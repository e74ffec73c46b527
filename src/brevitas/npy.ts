import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * NumPy .npy (format 1.0) for the tensors handed to the Python stage: a magic string, a little header dict padded
 * so the data starts on a 64-byte boundary, then the raw C-order data. Only the dtypes we write.
 */

export type NpyDtype = 'uint8' | 'float32';

const DESCR: Readonly<Record<NpyDtype, string>> = Object.freeze({ uint8: '|u1', float32: '<f4' });

/** The header bytes (magic, version 1.0, length, dict) for an array of `dtype` and `shape`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const text = `${dict + ' '.repeat(total - unpadded)}\n`;
  const out = new Uint8Array(total);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(Buffer.from(text, 'latin1'), 10);
  return out;
}

/**
 * Writes one .npy array chunk by chunk (so hundreds of images never sit in memory together). The leading dimension
 * is fixed up front; `finish` checks that exactly that many rows were written.
 */
export class NpyWriter {
  private readonly fd: number;
  private rows = 0;
  private readonly rowBytes: number;

  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.rowBytes = shape.slice(1).reduce((a, b) => a * b, 1) * (dtype === 'uint8' ? 1 : 4);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, npyHeader(dtype, shape));
  }

  /** Append one row (shape[1:]) of raw little-endian data. */
  append(row: Uint8Array | Float32Array): void {
    const bytes = new Uint8Array(row.buffer, row.byteOffset, row.byteLength);
    if (bytes.length !== this.rowBytes) throw new RangeError(`npy row of ${bytes.length} bytes, expected ${this.rowBytes}`);
    writeSync(this.fd, bytes);
    this.rows++;
  }

  finish(): void {
    closeSync(this.fd);
    if (this.rows !== this.shape[0]) throw new RangeError(`${this.path}: wrote ${this.rows} rows, header says ${this.shape[0]}`);
  }
}
