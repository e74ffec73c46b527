import ort from 'onnxruntime-node';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { fromHalfBits, toHalfBits } from '../../src/onnx/ir/float16.js';
import type { GraphBuilder } from '../../src/onnx/ir/builder.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/quant/rounding.js';
import type { RefTensor } from '../reference-impl/ref-tensor.js';
import { refFromValues } from '../reference-impl/ref-tensor.js';

/**
 * Test helpers: run a model on ONNX Runtime (CPU, graph optimizations off) with any values promoted to outputs,
 * make random feeds from the graph's declared inputs, and compare reference tensors with ORT's.
 */

const TO_ORT: Partial<Record<number, ort.Tensor.Type>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};

const FROM_ORT: Record<string, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  bool: DataType.BOOL,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
};

export function toOrtTensor(t: RefTensor): ort.Tensor {
  const type = TO_ORT[t.dtype];
  const d = t.data;
  switch (type) {
    case 'float32':
      return new ort.Tensor(type, Float32Array.from(d), t.dims);
    case 'float16':
      return new ort.Tensor(type, Uint16Array.from(d, toHalfBits), t.dims);
    case 'float64':
      return new ort.Tensor(type, Float64Array.from(d), t.dims);
    case 'int64':
      return new ort.Tensor(
        type,
        BigInt64Array.from(d, (v) => BigInt(v)),
        t.dims,
      );
    case 'int32':
      return new ort.Tensor(type, Int32Array.from(d), t.dims);
    case 'int8':
      return new ort.Tensor(type, Int8Array.from(d), t.dims);
    case 'uint8':
      return new ort.Tensor(type, Uint8Array.from(d), t.dims);
    case 'bool':
      return new ort.Tensor(type, Uint8Array.from(d), t.dims);
    default:
      throw new Error(`ort-helpers: no ORT type for dtype ${t.dtype}`);
  }
}

export function fromOrtTensor(t: ort.Tensor): RefTensor {
  const dtype = FROM_ORT[t.type];
  if (dtype === undefined) throw new Error(`ort-helpers: ORT type ${t.type} not handled`);
  const raw = t.data as ArrayLike<number | bigint>;
  const values = t.type === 'float16' ? Float64Array.from(raw as Uint16Array, fromHalfBits) : Float64Array.from(raw, Number);
  return refFromValues(dtype, [...t.dims], values);
}

/** Run `model` on ORT with `outputs` (any value names) as the graph outputs. */
export async function runOrt(
  model: Model,
  feeds: Record<string, RefTensor>,
  outputs: readonly string[],
  threads = 1,
): Promise<Record<string, RefTensor>> {
  const graph = model.graph!;
  const copy: Model = { ...model, graph: { ...graph, valueInfo: [], outputs: outputs.map((name) => ({ name })) } };
  const session = await ort.InferenceSession.create(modelToBytes(copy), {
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3,
    intraOpNumThreads: threads,
  });
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrtTensor(v)]));
    const res = await session.run(ortFeeds);
    return Object.fromEntries(outputs.map((name) => [name, fromOrtTensor(res[name]!)]));
  } finally {
    await session.release();
  }
}

/** Random feeds for every non-initializer graph input: floats uniform in [−2, 2), integers in [0, 4), bools 0/1. */
export function randomFeeds(model: Model, seed = 1): Record<string, RefTensor> {
  const rnd = seededRandom(seed);
  const inits = new Set(model.graph!.initializers.map((t) => t.name));
  const feeds: Record<string, RefTensor> = {};
  for (const v of model.graph!.inputs) {
    if (inits.has(v.name)) continue;
    const dims = (v.type?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const dtype = v.type?.elemType ?? DataType.FLOAT;
    const gen =
      dtype === DataType.BOOL
        ? () => (rnd() < 0.5 ? 1 : 0)
        : dtype === DataType.FLOAT || dtype === DataType.FLOAT16
          ? () => rnd() * 4 - 2
          : () => Math.floor(rnd() * 4);
    feeds[v.name] = refFromValues(dtype, dims, Float64Array.from({ length: n }, gen));
  }
  return feeds;
}

export interface Diff {
  /** max |a − b| over elements. */
  maxAbs: number;
  /** maxAbs / max(1, max |b|). */
  relative: number;
  /** First mismatch description when dims or dtype differ, else undefined. */
  mismatch?: string;
}

/** Compare a reference tensor with ORT's (dtype, dims, values). */
export function diff(ref: RefTensor, actual: RefTensor): Diff {
  if (ref.dtype !== actual.dtype) return { maxAbs: Infinity, relative: Infinity, mismatch: `dtype ${ref.dtype} vs ORT ${actual.dtype}` };
  if (ref.dims.join(',') !== actual.dims.join(','))
    return { maxAbs: Infinity, relative: Infinity, mismatch: `dims [${ref.dims}] vs ORT [${actual.dims}]` };
  let maxAbs = 0;
  let scale = 1;
  for (let i = 0; i < ref.data.length; i++) {
    const a = ref.data[i]!;
    const b = actual.data[i]!;
    const d = Number.isNaN(a) && Number.isNaN(b) ? 0 : Math.abs(a - b);
    maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
    scale = Math.max(scale, Math.abs(b));
  }
  return { maxAbs, relative: maxAbs / scale };
}

/** Deterministic uniform values in [lo, hi) for fixtures. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd());
}

/**
 * One ORT parity fixture: `build` declares inputs (random feeds are made from their declared types and shapes)
 * and adds nodes; every node output is compared with ORT.
 */
export interface ParityCase {
  name: string;
  opset: number;
  build: (b: GraphBuilder) => void;
}
