import { getInt } from '../onnx/ir/attributes.js';
import { DataType } from '../onnx/ir/dtypes.js';
import { indexGraph, producerOf } from '../onnx/ir/graph-index.js';
import { makeTensor, toIntegers, type Tensor } from '../onnx/ir/tensor.js';
import { PassProperty, type Pass } from '../onnx/passes/pass.js';

/**
 * Asymmetric 4-bit weights (the default recipe's) carry a zero point per output channel. ORT's QLinearConv takes
 * one weight zero point for the whole filter: with per-channel ones it still fuses but runs several times slower
 * (measured in docs/runtime-reality.md).
 * The same numbers fit int8 codes with no zero point: q − z lies in [-15, 15] for 4-bit q and z, and
 * (q − z) · s is exactly what DequantizeLinear computed. This pass rewrites every per-tensor or axis-0 weight
 * DequantizeLinear (int8, uint8 or INT4 codes with a non-zero zero point) that feeds only Convs whose data input
 * is itself dequantized — the integer-Conv pattern — into int8 codes q − z without a zero point. Its count:
 * `{ shifted }`.
 */
export function zeroPointFreeWeightsPass(): Pass {
  return {
    name: 'zero-point-free-weights',
    description: "folds integer-Conv weight zero points into int8 codes, the form ORT's QLinearConv runs fast",
    preserves: [PassProperty.TopologicallySorted, PassProperty.NoInitializerInputs],
    run(model) {
      const g = model.graph!;
      const index = indexGraph(g);
      const inits = new Map(g.initializers.map((t) => [t.name, t]));
      const added: Tensor[] = [];
      let shifted = 0;
      const nodes = g.nodes.map((dq) => {
        if (dq.opType !== 'DequantizeLinear' || !dq.inputs[2]) return dq;
        const x = inits.get(dq.inputs[0] ?? '');
        const zp = inits.get(dq.inputs[2]);
        if (!x || !zp || !CODE_TYPES.has(x.dtype) || !inits.has(dq.inputs[1] ?? '') || getInt(dq, 'block_size', 0) !== 0) return dq;
        const axis = getInt(dq, 'axis', 1);
        const z = toIntegers(zp);
        if (z.every((v) => v === 0) || (z.length > 1 && axis !== 0)) return dq;
        const readers = index.consumers.get(dq.outputs[0] ?? '') ?? [];
        const integerConv = (i: number) => {
          const n = g.nodes[i]!;
          return (
            n.opType === 'Conv' && n.inputs[1] === dq.outputs[0] && producerOf(g, index, n.inputs[0] ?? '')?.opType === 'DequantizeLinear'
          );
        };
        if (readers.length === 0 || !readers.every(integerConv)) return dq;
        const q = toIntegers(x);
        const perChannel = q.length / z.length;
        const codes = Array.from(q, (v, i) => Number(v) - Number(z[Math.floor(i / perChannel)]));
        if (codes.some((c) => c < -128 || c > 127)) return dq;
        const t = makeTensor(`${x.name}__nozp`, DataType.INT8, [...x.dims], codes);
        added.push(t);
        shifted++;
        return { ...dq, inputs: [t.name, dq.inputs[1]!] };
      });
      if (shifted === 0) return { model, modified: false, counts: { shifted } };
      const read = new Set(nodes.flatMap((n) => n.inputs));
      const initializers = [...g.initializers, ...added].filter((t) => read.has(t.name) || g.outputs.some((o) => o.name === t.name));
      return { model: { ...model, graph: { ...g, nodes, initializers } }, modified: true, counts: { shifted } };
    },
  };
}

const CODE_TYPES: ReadonlySet<number> = new Set([DataType.INT8, DataType.UINT8, DataType.INT4, DataType.UINT4]);
