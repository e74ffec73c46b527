import { readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, oneLine } from '../../errors.js';
import type { Model } from '../ir/graph.js';
import { decodeModel } from './decode.js';
import { encodeModel } from './encode.js';
import { allTensors, layoutExternalData, readExternalData, writeExternalFile, type ExternalDataOptions } from './external-data.js';
import { ModelProtoSchema, fromBinary, toBinary } from './schemas.js';

/** Protobuf cannot serialize a message of 2 GiB or more; past this we refuse and ask for external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** Parse a serialized ModelProto. Bad bytes raise an InputError naming `label`. */
export function modelFromBytes(bytes: Uint8Array, label = 'model'): Model {
  let proto;
  // A Node Buffer's subarray/slice semantics differ from Uint8Array's; parse a plain view so tensors are plain too.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    proto = fromBinary(ModelProtoSchema, view, { readUnknownFields: true });
  } catch (e) {
    throw new InputError(`${label} is not a valid ONNX model (protobuf: ${oneLine(e)})`);
  }
  if (!proto.graph) throw new InputError(`${label} is not an ONNX model: it has no graph`);
  try {
    return decodeModel(proto);
  } catch (e) {
    throw new InputError(`${label} cannot be read: ${oneLine(e)}`);
  }
}

/** Serialize without touching the file system; external tensors must already be laid out. */
export function modelToBytes(model: Model): Uint8Array {
  return toBinary(ModelProtoSchema, encodeModel(model));
}

/** Load a model file, reading its external data (if any) from the model's folder. */
export function loadModel(path: string): Model {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    bytes = readFileSync(path);
  } catch {
    throw new InputError(`cannot read model file ${path}`);
  }
  if (bytes.byteLength === 0) throw new InputError(`${path} is empty`);
  const model = modelFromBytes(bytes, path);
  readExternalData(model, dirname(resolve(path)));
  return model;
}

export interface SaveOptions {
  /** Write tensors of at least `sizeThreshold` bytes to this side file (relative to the model's folder). */
  externalData?: ExternalDataOptions;
}

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
}

/**
 * Save atomically: the model and its side files are written under temporary names and renamed into place only
 * when all of them are complete, so a failure never leaves a half-written output. Tensors read from external
 * data stay external; a model whose inline size would pass protobuf's 2 GB limit is an error naming the remedy.
 */
export function saveModel(model: Model, path: string, options: SaveOptions = {}): void {
  const out = resolve(path);
  mkdirSync(dirname(out), { recursive: true });
  const files = layoutExternalData(model, options.externalData);
  let inline = 0;
  if (model.graph) for (const t of allTensors(model.graph)) if (!t.external) inline += t.data.byteLength;
  if (inline >= PROTOBUF_LIMIT) {
    throw new InputError(`model holds ${inline} bytes of inline tensors, past protobuf's 2 GB limit: save it with external data`);
  }
  const temps: Array<[string, string]> = [];
  try {
    for (const [rel, tensors] of files) {
      const final = join(dirname(out), rel);
      const tmp = tempName(final);
      temps.push([tmp, final]);
      writeExternalFile(tmp, tensors);
    }
    const tmp = tempName(out);
    temps.push([tmp, out]);
    writeFileSync(tmp, modelToBytes(model));
    for (const [from, to] of temps) renameSync(from, to);
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw e;
  }
}
