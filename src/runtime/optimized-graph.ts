import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { InputError, oneLine } from '../errors.js';
import { DataType } from '../onnx/ir/dtypes.js';
import type { Model } from '../onnx/ir/graph.js';
import { loadModel } from '../onnx/serde/model-io.js';

/**
 * What ORT's CPU EP really runs: the graph after its optimizer (all levels), as ORT itself writes it with the
 * `optimizedModelFilePath` session option, with each node's op counted and the nodes that compute in float named.
 */
export interface OptimizedGraph {
  /** Nodes per op type ("com.microsoft.QLinearAdd" is counted as "QLinearAdd"). */
  ops: Record<string, number>;
  /** Nodes that compute on float data, by op type: every node but Q/DQ whose output is float. */
  floatOps: Record<string, number>;
  /** Their total. */
  floatNodes: number;
}

/** ORT-optimize `source` (a path or bytes) on the CPU EP and read back what it wrote. */
export async function optimizedGraph(source: string | Uint8Array, threads = 1): Promise<OptimizedGraph> {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-optimized-'));
  const path = join(dir, 'optimized.onnx');
  try {
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: path,
      intraOpNumThreads: threads,
      logSeverityLevel: 3,
    };
    let session: ort.InferenceSession;
    try {
      session =
        typeof source === 'string' ? await ort.InferenceSession.create(source, opts) : await ort.InferenceSession.create(source, opts);
    } catch (e) {
      throw new InputError(`ONNX Runtime cannot load ${typeof source === 'string' ? source : 'the model'}: ${oneLine(e)}`, { cause: e });
    }
    await session.release();
    return countOps(loadModel(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Integer-output ops: quantizers and ORT's QLinear kernels. Everything else keeps its first input's kind. */
const TO_INTEGER = /^(QuantizeLinear|QLinear.*|DynamicQuantizeLinear)$/;
const TO_FLOAT = new Set(['DequantizeLinear']);
const FLOAT_TYPES: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);

export function countOps(model: Model): OptimizedGraph {
  const g = model.graph!;
  const isFloat = new Map<string, boolean>();
  for (const v of g.inputs) isFloat.set(v.name, FLOAT_TYPES.has(v.type?.elemType ?? -1));
  for (const t of g.initializers) isFloat.set(t.name, FLOAT_TYPES.has(t.dtype));
  const ops: Record<string, number> = {};
  const floatOps: Record<string, number> = {};
  let floatNodes = 0;
  // ORT writes its optimized graph in topological order.
  for (const n of g.nodes) {
    ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    const float = TO_FLOAT.has(n.opType) || (!TO_INTEGER.test(n.opType) && isFloat.get(n.inputs[0] ?? '') === true);
    for (const o of n.outputs) isFloat.set(o, float);
    if (float && !TO_FLOAT.has(n.opType)) {
      floatOps[n.opType] = (floatOps[n.opType] ?? 0) + 1;
      floatNodes++;
    }
  }
  return { ops, floatOps, floatNodes };
}
