import { getInt } from '../onnx/ir/attributes.js';
import { DataType, type DataTypeCode } from '../onnx/ir/dtypes.js';
import type { Graph } from '../onnx/ir/graph.js';
import { topologicalOrder, type GraphIndex } from '../onnx/ir/graph-index.js';

/**
 * Element types of values, as far as the checker needs them: declared types (inputs, outputs, value_info,
 * initializers, Constant nodes) plus forward propagation through the ops that sit around quantization.
 * Full shape inference lives in src/onnx/shape; this stays small so `check` works on graphs that inference rejects.
 */
export function valueTypes(graph: Graph, index: GraphIndex, outer?: ReadonlyMap<string, DataTypeCode>): Map<string, DataTypeCode> {
  const types = new Map<string, DataTypeCode>(outer ?? []);
  for (const v of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) if (v.type) types.set(v.name, v.type.elemType);
  for (const t of graph.initializers) types.set(t.name, t.dtype);
  const sameAsInput0 = new Set([
    'Identity',
    'Clip',
    'Relu',
    'Sigmoid',
    'Reshape',
    'Transpose',
    'Flatten',
    'Squeeze',
    'Unsqueeze',
    'MaxPool',
    'Conv',
    'Add',
    'Sub',
    'Mul',
    'Div',
    'Concat',
    'Resize',
    'Slice',
    'Split',
    'Neg',
    'Abs',
  ]);
  for (const i of topologicalOrder(graph, index).order) {
    const node = graph.nodes[i]!;
    const out = node.outputs[0];
    if (!out || types.has(out)) continue;
    let t: DataTypeCode | undefined;
    if (node.opType === 'Constant') {
      const a = node.attributes.find((x) => x.name === 'value');
      if (a?.value.kind === 'tensor') t = a.value.value.dtype;
    } else if (node.opType === 'Cast') t = getInt(node, 'to');
    else if (node.opType === 'DequantizeLinear') t = types.get(node.inputs[1] ?? '') ?? DataType.FLOAT;
    else if (node.opType === 'QuantizeLinear') {
      t = node.inputs[2] ? types.get(node.inputs[2]) : getInt(node, 'output_dtype', 0) || DataType.UINT8;
    } else if (sameAsInput0.has(node.opType)) t = types.get(node.inputs[0] ?? '');
    if (t !== undefined) for (const o of node.outputs) if (o && (sameAsInput0.has(node.opType) || o === out)) types.set(o, t);
  }
  return types;
}
