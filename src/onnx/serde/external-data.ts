import { closeSync, openSync, readSync, fstatSync, writeSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { InputError } from '../../errors.js';
import type { Graph, Model } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/**
 * External data: tensor bytes kept in side files next to the model (required past protobuf's 2 GB limit).
 * Locations are relative to the model's folder; like onnx's checker we refuse absolute paths and "..".
 */

/** Every tensor in a graph and its subgraphs (initializers and tensor attributes). */
export function* allTensors(graph: Graph): Generator<Tensor> {
  yield* graph.initializers;
  for (const node of graph.nodes) {
    for (const a of node.attributes) {
      const v = a.value;
      if (v.kind === 'tensor') yield v.value;
      else if (v.kind === 'tensors') yield* v.value;
      else if (v.kind === 'graph') yield* allTensors(v.value);
      else if (v.kind === 'graphs') for (const g of v.value) yield* allTensors(g);
    }
  }
}

function safeLocation(location: string, tensorName: string): string {
  const norm = normalize(location);
  if (!location || isAbsolute(location) || norm === '..' || norm.startsWith(`..${sep}`)) {
    throw new InputError(`tensor ${tensorName}: external data location "${location}" must be a relative path inside the model's folder`);
  }
  return norm;
}

/** Read the bytes of every external tensor of `model` from files under `baseDir`. */
export function readExternalData(model: Model, baseDir: string): void {
  if (!model.graph) return;
  const fds = new Map<string, { fd: number; size: number }>();
  try {
    for (const t of allTensors(model.graph)) {
      if (!t.external) continue;
      const rel = safeLocation(t.external.location, t.name);
      let file = fds.get(rel);
      if (!file) {
        const path = join(baseDir, rel);
        let fd: number;
        try {
          fd = openSync(path, 'r');
        } catch {
          throw new InputError(`tensor ${t.name}: external data file ${path} cannot be read`);
        }
        file = { fd, size: fstatSync(fd).size };
        fds.set(rel, file);
      }
      const { offset } = t.external;
      const length = t.external.length >= 0 ? t.external.length : file.size - offset;
      if (offset + length > file.size || length < 0) {
        throw new InputError(
          `tensor ${t.name}: external data [${offset}, ${offset + length}) lies past the end of ${rel} (${file.size} bytes)`,
        );
      }
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) got += readSync(file.fd, buf, got, length - got, offset + got);
      t.data = buf;
      t.field = 'raw_data';
    }
  } finally {
    for (const { fd } of fds.values()) closeSync(fd);
  }
}

/** Keep every tensor's bytes in the model itself (they must have been read): the model serializes self-contained. */
export function inlineExternalData(model: Model): boolean {
  if (!model.graph) return false;
  let any = false;
  for (const t of allTensors(model.graph)) {
    if (!t.external) continue;
    delete t.external;
    t.field = 'raw_data';
    any = true;
  }
  return any;
}

export interface ExternalDataOptions {
  /** Move every tensor of at least this many bytes that is not external yet into `location`. */
  location: string;
  /** Default 1024 bytes, as onnx's own converter uses. */
  sizeThreshold?: number;
}

const PAGE = 4096;

function setEntry(entries: Array<[string, string]>, key: string, value: string): void {
  const e = entries.find(([k]) => k === key);
  if (e) e[1] = value;
  else entries.push([key, value]);
}

/**
 * Decide where each external tensor goes. Tensors that were read from external data keep their location and
 * offset when nothing collides (so an untouched model writes the same side file); new or resized ones are
 * appended at page-aligned offsets. Returns the files to write: location → tensors with final offsets.
 */
export function layoutExternalData(model: Model, options?: ExternalDataOptions): Map<string, Tensor[]> {
  const files = new Map<string, Tensor[]>();
  if (!model.graph) return files;
  const threshold = options?.sizeThreshold ?? 1024;
  const tensors = [...allTensors(model.graph)];
  for (const t of tensors) {
    if (!t.external && options && t.data.byteLength >= threshold && t.field !== 'string_data') {
      t.external = { location: options.location, offset: -1, length: t.data.byteLength, entries: [['location', options.location]] };
    }
    if (!t.external) continue;
    const rel = safeLocation(t.external.location, t.name);
    const list = files.get(rel) ?? [];
    list.push(t);
    files.set(rel, list);
  }
  for (const list of files.values()) {
    const placed: Array<[number, number]> = [];
    const fits = (start: number, len: number) => placed.every(([s, e]) => start + len <= s || start >= e);
    let end = 0;
    const pending: Tensor[] = [];
    for (const t of list) {
      const ext = t.external!;
      const len = t.data.byteLength;
      if (ext.offset >= 0 && (ext.length < 0 || ext.length === len) && fits(ext.offset, len)) {
        placed.push([ext.offset, ext.offset + len]);
        end = Math.max(end, ext.offset + len);
      } else pending.push(t);
    }
    for (const t of pending) {
      const ext = t.external!;
      const len = t.data.byteLength;
      const start = Math.ceil(end / PAGE) * PAGE;
      ext.offset = start;
      ext.length = len;
      setEntry(ext.entries, 'offset', String(start));
      setEntry(ext.entries, 'length', String(len));
      end = start + len;
    }
  }
  return files;
}

/** Write one side file: each tensor's bytes at its offset; gaps read back as zeros. */
export function writeExternalFile(path: string, tensors: Tensor[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'wx');
  try {
    for (const t of tensors) {
      let done = 0;
      while (done < t.data.byteLength) done += writeSync(fd, t.data, done, t.data.byteLength - done, t.external!.offset + done);
    }
  } finally {
    closeSync(fd);
  }
}
