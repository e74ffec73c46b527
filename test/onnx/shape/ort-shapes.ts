import ort from 'onnxruntime-node';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { formatShape } from '../../../src/onnx/shape/dims.js';
import { inferShapes } from '../../../src/onnx/shape/infer.js';

/**
 * Test oracle: run a model on ONNX Runtime (CPU, optimizations off) with the named values promoted to graph
 * outputs, feeding zeros (symbolic input dims become 1), and report each value's actual dtype code and dims.
 */

const ORT_TYPES: Record<string, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  int16: DataType.INT16,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  uint16: DataType.UINT16,
  uint32: DataType.UINT32,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
};

function zeros(elemType: number, dims: number[]): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  switch (elemType) {
    case DataType.FLOAT:
      return new ort.Tensor('float32', new Float32Array(n), dims);
    case DataType.FLOAT16:
      return new ort.Tensor('float16', new Uint16Array(n), dims);
    case DataType.INT64:
      return new ort.Tensor('int64', new BigInt64Array(n), dims);
    case DataType.INT32:
      return new ort.Tensor('int32', new Int32Array(n), dims);
    case DataType.UINT8:
      return new ort.Tensor('uint8', new Uint8Array(n), dims);
    case DataType.BOOL:
      return new ort.Tensor('bool', new Uint8Array(n), dims);
    default:
      throw new Error(`ort-shapes: no zeros for dtype ${elemType}`);
  }
}

export interface ActualValue {
  elemType: number;
  dims: number[];
}

export async function ortShapes(model: Model, names: readonly string[]): Promise<Map<string, ActualValue>> {
  const graph = model.graph!;
  const inits = new Set(graph.initializers.map((t) => t.name));
  const wanted = [...new Set(names)];
  const copy: Model = { ...model, graph: { ...graph, valueInfo: [], outputs: wanted.map((name) => ({ name })) } };
  const session = await ort.InferenceSession.create(modelToBytes(copy), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const v of graph.inputs) {
      if (inits.has(v.name) || !v.type?.shape) continue;
      feeds[v.name] = zeros(
        v.type.elemType,
        v.type.shape.map((d) => (typeof d === 'number' ? d : 1)),
      );
    }
    const results = await session.run(feeds);
    const out = new Map<string, ActualValue>();
    for (const name of wanted) {
      const t = results[name];
      if (t) out.set(name, { elemType: ORT_TYPES[t.type] ?? -1, dims: [...t.dims] });
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * Infer shapes (ignoring declared value_info) and compare every node output whose inferred shape is fully static
 * with ORT's actual dtype and dims. Returns how many were compared and a line per disagreement.
 */
export async function compareWithOrt(model: Model): Promise<{ compared: number; mismatches: string[] }> {
  const shapes = inferShapes(model, { useDeclared: false });
  const names = model.graph!.nodes.flatMap((n) => n.outputs).filter((n) => n !== '');
  const actual = await ortShapes(model, names);
  const mismatches: string[] = [];
  let compared = 0;
  for (const name of names) {
    const inferred = shapes.get(name);
    const real = actual.get(name);
    if (!inferred || !real) continue;
    if (inferred.elemType !== real.elemType) mismatches.push(`${name}: dtype ${inferred.elemType} vs ORT ${real.elemType}`);
    const s = inferred.shape;
    if (!s?.every((d) => typeof d === 'number')) continue;
    compared++;
    if (formatShape(s) !== formatShape(real.dims)) mismatches.push(`${name}: inferred ${formatShape(s)}, ORT ${formatShape(real.dims)}`);
  }
  return { compared, mismatches };
}
