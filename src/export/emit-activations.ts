import { DataType } from '../onnx/ir/dtypes.js';
import { indexGraph } from '../onnx/ir/graph-index.js';
import { makeTensor } from '../onnx/ir/tensor.js';
import type { ActivationDecision } from '../quant/plan.js';
import type { GraphEdit } from './graph-edit.js';

/**
 * Insert QuantizeLinear → DequantizeLinear for each planned activation and make the quantized consumers (the nodes
 * in `quantizedNodes`) read the dequantized value; other consumers keep the float value. Per-tensor scales, uint8
 * or int8 by the plan's `signed`.
 */
export function emitActivations(
  edit: GraphEdit,
  decisions: ActivationDecision[],
  quantizedNodes: ReadonlySet<string>,
  label: (i: number) => string,
): void {
  const index = indexGraph(edit.graph);
  const nodes = edit.graph.nodes;
  for (const a of decisions) {
    const readers = index.consumers.get(a.value) ?? [];
    // Nodes added by the exporter (weight DequantizeLinear chains) have no label and never read activations.
    const consumers = a.readers === 'all' ? readers.filter((i) => label(i) !== '') : readers.filter((i) => quantizedNodes.has(label(i)));
    if (consumers.length === 0) continue;
    const type = a.signed ? DataType.INT8 : DataType.UINT8;
    const base = a.value.replace(/[^A-Za-z0-9_.]/g, '_');
    const scale = edit.addInitializer(makeTensor(edit.fresh(`${base}_s`), DataType.FLOAT, [], [a.scale]));
    const zp = edit.sharedScalar(type, a.zeroPoint, a.signed ? 'zp_i8' : 'zp_u8');
    const q = edit.addNode({ opType: 'QuantizeLinear', inputs: [a.value, scale, zp], attributes: [], outputs: [edit.fresh(`${base}_q`)] });
    const dq = edit.addNode({ opType: 'DequantizeLinear', inputs: [q, scale, zp], attributes: [], outputs: [edit.fresh(`${base}_dq`)] });
    for (const i of new Set(consumers)) {
      const node = nodes[i]!;
      node.inputs = node.inputs.map((v, slot) => (v === a.value && !isWeightSlot(node.opType, slot) ? dq : v));
    }
  }
}

/** Activations enter Conv/Gemm/MatMul at input 0 (MatMul may take two activations: both are data). */
function isWeightSlot(opType: string, slot: number): boolean {
  return (opType === 'Conv' || opType === 'ConvTranspose' || opType === 'Gemm') && slot > 0;
}
