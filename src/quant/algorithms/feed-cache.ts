import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elementCount, type HostDType, type HostTensor } from '../../runtime/host-tensor.js';

/**
 * Per-image tensors written once and read back, exactly, as often as needed: error correction's float layer
 * inputs and the decoded calibration feeds, shared by every chunk's pass instead of recomputed (and re-decoded)
 * for each. They live in one scratch file under the OS temp folder, not in memory: on a YOLOv10m-size model the
 * layer inputs of 64 images run to gigabytes, and the page cache serves the reads while it has room. The file
 * is unlinked as soon as it is open (POSIX keeps it readable through the descriptor), so a killed process leaves
 * nothing behind; `dispose` closes it. It is scratch, never an output, so it is not written atomically.
 */

const BYTES: Record<HostDType, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  bool: 1,
};

interface Entry {
  offset: number;
  dtype: HostDType;
  dims: number[];
}

function typed(dtype: HostDType, buffer: ArrayBuffer): HostTensor['data'] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float16':
    case 'uint16':
      return new Uint16Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
  }
}

export class FeedCache {
  private readonly dir: string;
  private readonly fd: number;
  private size = 0;
  private closed = false;
  private readonly images: Array<Map<string, Entry>> = [];

  constructor(parent: string = tmpdir()) {
    this.dir = mkdtempSync(join(parent, 'yoloq-feeds-'));
    this.fd = openSync(join(this.dir, 'tensors.bin'), 'w+');
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // A platform that cannot remove an open file keeps it until dispose.
    }
  }

  /** Images appended so far. */
  get count(): number {
    return this.images.length;
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.size;
  }

  /** Store one image's tensors under their names (appended after the images before it). */
  append(tensors: Readonly<Record<string, HostTensor>>): void {
    this.images.push(new Map());
    this.add(this.images.length - 1, tensors);
  }

  /** Store more tensors for an image already appended (values a later pass computes for it). */
  add(image: number, tensors: Readonly<Record<string, HostTensor>>): void {
    const index = this.images[image];
    if (!index) throw new Error(`feed cache: no image ${image}`);
    for (const [name, t] of Object.entries(tensors)) index.set(name, this.write(t));
  }

  private write(t: HostTensor): Entry {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
    const entry = { offset: this.size, dtype: t.dtype, dims: [...t.dims] };
    this.size += bytes.length;
    return entry;
  }

  /** One stored tensor, read back into a fresh array. */
  read(image: number, name: string): HostTensor {
    const e = this.images[image]?.get(name);
    if (!e) throw new Error(`feed cache: no tensor ${name} for image ${image}`);
    const length = elementCount(e.dims) * BYTES[e.dtype];
    const buffer = new ArrayBuffer(length);
    const view = new Uint8Array(buffer);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, view, done, length - done, e.offset + done);
      if (n === 0) throw new Error(`feed cache: ${name} of image ${image} is cut short`);
      done += n;
    }
    return { dtype: e.dtype, dims: [...e.dims], data: typed(e.dtype, buffer) };
  }

  /** The stored images in order, each as the tensors `names` (every name must have been stored for every image). */
  async *feeds(names: readonly string[]): AsyncGenerator<Record<string, HostTensor>> {
    for (let i = 0; i < this.images.length; i++) yield Object.fromEntries(names.map((n) => [n, this.read(i, n)]));
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
