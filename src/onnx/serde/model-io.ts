import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileError, InputError, oneLine } from '../../errors.js';
import { writeOutputs, type OutputBatch } from '../../io/atomic-write.js';
import type { Model } from '../ir/graph.js';
import { decodeModel } from './decode.js';
import { encodeModel } from './encode.js';
import {
  allTensors,
  inlineExternalData,
  layoutExternalData,
  readExternalData,
  writeExternalFile,
  type ExternalDataOptions,
} from './external-data.js';
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

function readModelFile(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw new InputError(`cannot read model file ${path}: not a file`);
    bytes = readFileSync(path);
  } catch (e) {
    const err = fileError(e, 'read model file', path);
    throw err instanceof InputError ? err : new InputError(`cannot read model file ${path}`);
  }
  if (bytes.byteLength === 0) throw new InputError(`${path} is empty`);
  return bytes;
}

/** Load a model file, reading its external data (if any) from the model's folder — never the working directory. */
export function loadModel(path: string): Model {
  const model = modelFromBytes(readModelFile(path), path);
  readExternalData(model, dirname(resolve(path)));
  return model;
}

/** Bytes on disk of a model file and the external-data files it names (what a size ratio should compare). */
export function modelSizeOnDisk(path: string): number {
  const model = modelFromBytes(readModelFile(path), path);
  const locations = new Set<string>();
  if (model.graph) for (const t of allTensors(model.graph)) if (t.external) locations.add(t.external.location);
  let size = statSync(path).size;
  for (const rel of locations) {
    try {
      size += statSync(join(dirname(resolve(path)), rel)).size;
    } catch {
      // a missing side file was reported when the model was read
    }
  }
  return size;
}

/**
 * A model file as self-contained bytes, for the commands that parse and run models from memory (quantize, apply,
 * run): the file's own bytes, unchanged, when it has no external data; otherwise the model re-serialized with its
 * external tensors (read relative to the model file) inline. In-memory models cannot pass protobuf's 2 GB limit.
 */
export function loadModelBytes(path: string): Uint8Array {
  const bytes = readModelFile(path);
  const model = modelFromBytes(bytes, path);
  if (!model.graph || ![...allTensors(model.graph)].some((t) => t.external)) return bytes;
  readExternalData(model, dirname(resolve(path)));
  inlineExternalData(model);
  const inline = inlineBytes(model);
  if (inline > INLINE_LIMIT) {
    throw new InputError(`${path}: ${inline} bytes of weights in external data; yoloq works on models under 2 GB in memory`);
  }
  return modelToBytes(model);
}

export interface SaveOptions {
  /** Write tensors of at least `sizeThreshold` bytes to this side file (relative to the model's folder). */
  externalData?: ExternalDataOptions;
  /**
   * Inline tensor bytes past which the model is written with external data (`<file name>.data` beside it, every
   * tensor of 1 KiB or more) instead: default INLINE_LIMIT. Tests inject a small limit.
   */
  inlineLimit?: number;
}

/** Protobuf's 2 GiB less 64 MiB for everything in the model that is not tensor bytes (graph, names, attributes). */
export const INLINE_LIMIT = PROTOBUF_LIMIT - 64 * 2 ** 20;

function inlineBytes(model: Model): number {
  let inline = 0;
  if (model.graph) for (const t of allTensors(model.graph)) if (!t.external) inline += t.data.byteLength;
  return inline;
}

/**
 * Add a model and its side files to `batch` (written under temporary names, renamed with the batch's other
 * outputs). Tensors read from external data stay external; a model whose inline tensors would pass protobuf's 2 GB
 * limit (`inlineLimit`) is written with its tensors in `<file name>.data`.
 */
export function stageModel(batch: OutputBatch, model: Model, path: string, options: SaveOptions = {}): void {
  const out = resolve(path);
  const external =
    options.externalData ??
    (inlineBytes(model) > (options.inlineLimit ?? INLINE_LIMIT) ? { location: `${basename(out)}.data`, sizeThreshold: 1024 } : undefined);
  const files = layoutExternalData(model, external);
  const inline = inlineBytes(model);
  if (inline >= PROTOBUF_LIMIT) {
    throw new InputError(
      `${path}: the model holds ${inline} bytes of inline tensors, past protobuf's 2 GB limit: save it with external data`,
    );
  }
  for (const [rel, tensors] of files) batch.addWith(join(dirname(out), rel), (tmp) => writeExternalFile(tmp, tensors));
  batch.add(out, modelToBytes(model));
}

/**
 * Save atomically: the model and its side files are written under temporary names and renamed into place only
 * when all of them are complete, so a failure never leaves a half-written output (see stageModel).
 */
export function saveModel(model: Model, path: string, options: SaveOptions = {}): void {
  writeOutputs((batch) => stageModel(batch, model, path, options));
}
