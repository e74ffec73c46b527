import { getInt, intAttr } from '../ir/attributes.js';
import { blockCount } from '../ir/block-quant.js';
import { DataType } from '../ir/dtypes.js';
import type { Graph, Model, Node } from '../ir/graph.js';
import { indexGraph, producerOf, type GraphIndex } from '../ir/graph-index.js';
import { elementCount, makeTensor, toFloat32, toIntegers, type Tensor } from '../ir/tensor.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Prepare a native-INT4 model for ORT's CPU EP at session creation (the file stays 4-bit). ORT fuses no INT4
 * DequantizeLinear into a Conv and re-dequantizes every weight on every run; this pass does that work once:
 * - a weight Conv whose data input comes from a DequantizeLinear (a W?A8 graph) gets its codes as INT8, per output
 *   channel, so ORT can fuse DequantizeLinear → Conv → QuantizeLinear into an integer Conv;
 * - any other INT4 weight (W4A16) is dequantized to a float initializer, so the Conv runs as in the float model;
 * - so is an 8-bit weight of a Conv whose input is float (a W4A16 graph's 8-bit layers): ORT's constant folding
 *   keeps DequantizeLinear, so it too would be dequantized on every run.
 * Values are bit-identical to what the DequantizeLinear would compute; initializers nothing reads any more are
 * dropped. The pass returns a new model with `counts: { folded, toInt8 }` (weights dequantized to float, weights
 * widened to INT8), or the input itself when it changes nothing.
 */

/** Float result of DequantizeLinear on constants: per-tensor, per-axis or blocked (block_size along `axis`). */
export function dequantizeConstant(x: Tensor, scale: Tensor, zp: Tensor | undefined, axis: number, blockSize: number): Float32Array {
  // FP8 codes (two-level E4M3 block scales) dequantize from their values; integer codes from themselves.
  const q = x.dtype === DataType.FLOAT8E4M3FN ? toFloat32(x) : toIntegers(x);
  const s = toFloat32(scale);
  const z = zp ? toIntegers(zp) : undefined;
  const dims = x.dims;
  const ax = axis < 0 ? axis + dims.length : axis;
  const inner = dims.slice(ax + 1).reduce((a, b) => a * b, 1);
  const n = dims[ax] ?? 1;
  const blocksOnAxis = blockSize > 0 ? blockCount(n, blockSize) : n;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    let k = 0;
    if (s.length > 1) {
      const outer = Math.floor(i / (inner * n));
      const c = Math.floor(i / inner) % n;
      const cb = blockSize > 0 ? Math.floor(c / blockSize) : c;
      k = blockSize > 0 ? (outer * blocksOnAxis + cb) * inner + (i % inner) : cb;
    }
    out[i] = Math.fround((q[i]! - (z ? z[k]! : 0)) * s[k]!);
  }
  return out;
}

function constant(index: GraphIndex, name: string | undefined): Tensor | undefined {
  return name ? index.initializers.get(name) : undefined;
}

/**
 * A weight scale given as a DequantizeLinear of constants (two-level block scales: uint8 codes × per-row scale, or
 * E4M3 codes × one scale),
 * evaluated once as DequantizeLinear would; `node` is that DequantizeLinear, dropped when this was its only reader.
 */
function dequantizedScale(graph: Graph, index: GraphIndex, name: string | undefined): { tensor: Tensor; node: number } | undefined {
  if (!name) return undefined;
  const at = index.producer.get(name);
  const dq = at === undefined ? undefined : graph.nodes[at];
  if (dq?.opType !== 'DequantizeLinear' || (index.consumers.get(name) ?? []).length !== 1) return undefined;
  const x = constant(index, dq.inputs[0]);
  const s = constant(index, dq.inputs[1]);
  const zp = constant(index, dq.inputs[2]);
  if (!x || !s || (dq.inputs[2] && !zp)) return undefined;
  const values = dequantizeConstant(x, s, zp, getInt(dq, 'axis', 1), getInt(dq, 'block_size', 0));
  return { tensor: makeTensor(name, s.dtype === DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT, x.dims, values), node: at! };
}

/** The Reshape right after a DequantizeLinear with a constant target shape, if that is its only reader. */
function constantReshapeAfter(graph: Graph, index: GraphIndex, dq: Node): { node: Node; dims: number[] } | undefined {
  const readers = index.consumers.get(dq.outputs[0] ?? '') ?? [];
  if (readers.length !== 1) return undefined;
  const r = graph.nodes[readers[0]!]!;
  const shape = constant(index, r.inputs[1]);
  if (r.opType !== 'Reshape' || !shape) return undefined;
  const dims = Array.from(toIntegers(shape), Number);
  return dims.every((d) => d > 0) ? { node: r, dims } : undefined;
}

function feedsActivationQuantizedConv(graph: Graph, index: GraphIndex, value: string): boolean {
  const readers = index.consumers.get(value) ?? [];
  return (
    readers.length > 0 &&
    readers.every((i) => {
      const n = graph.nodes[i]!;
      return (n.opType === 'Conv' || n.opType === 'Gemm') && producerOf(graph, index, n.inputs[0] ?? '')?.opType === 'DequantizeLinear';
    })
  );
}

/** Every reader takes `value` as the weight of a Conv or Gemm whose data input is not dequantized. */
function feedsWeightOnlyConv(graph: Graph, index: GraphIndex, value: string): boolean {
  const readers = index.consumers.get(value) ?? [];
  return (
    readers.length > 0 &&
    !index.graphOutputs.has(value) &&
    readers.every((i) => {
      const n = graph.nodes[i]!;
      return (
        (n.opType === 'Conv' || n.opType === 'Gemm') &&
        n.inputs[1] === value &&
        n.inputs[0] !== value &&
        producerOf(graph, index, n.inputs[0] ?? '')?.opType !== 'DequantizeLinear'
      );
    })
  );
}

export function foldWeightDequantizePass(): Pass {
  return {
    name: 'fold-weight-dequantize',
    description:
      'dequantizes INT4 weights (and 8-bit ones of weight-only Convs) once at load, or widens INT4 to INT8 where ORT can fuse an integer Conv',
    // Folded DequantizeLinear nodes are removed and their outputs become initializers (not graph inputs).
    preserves: [PassProperty.TopologicallySorted, PassProperty.NoInitializerInputs],
    run(model) {
      const { model: out, folded, toInt8 } = foldWeightDequantize(model);
      const modified = folded > 0 || toInt8 > 0 || out.graph!.initializers.length !== model.graph!.initializers.length;
      return { model: modified ? out : model, modified, counts: { folded, toInt8 } };
    },
  };
}

function foldWeightDequantize(model: Model): { model: Model; folded: number; toInt8: number } {
  const g = model.graph!;
  const index = indexGraph(g);
  const nodes = g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
  const initializers = [...g.initializers];
  const drop = new Set<number>();
  let folded = 0;
  let toInt8 = 0;
  g.nodes.forEach((dq, i) => {
    const x = constant(index, dq.inputs[0]);
    if (dq.opType !== 'DequantizeLinear' || !x) return;
    const fourBit = x.dtype === DataType.INT4 || x.dtype === DataType.UINT4;
    // An 8-bit weight is folded only where no integer Conv could take it: a weight-only Conv (float input, the
    // 8-bit layers of a W4A16 graph), which would otherwise dequantize it on every run for nothing.
    if (!fourBit && !((x.dtype === DataType.INT8 || x.dtype === DataType.UINT8) && feedsWeightOnlyConv(g, index, dq.outputs[0]!))) return;
    const computed = constant(index, dq.inputs[1]) ? undefined : dequantizedScale(g, index, dq.inputs[1]);
    const scale = computed?.tensor ?? constant(index, dq.inputs[1]);
    if (!scale) return;
    const zp = constant(index, dq.inputs[2]);
    if (dq.inputs[2] && !zp) return;
    const axis = getInt(dq, 'axis', 1);
    const block = getInt(dq, 'block_size', 0);
    if (computed) drop.add(computed.node);
    const reshape = constantReshapeAfter(g, index, dq);
    const finalName = reshape ? reshape.node.outputs[0]! : dq.outputs[0]!;
    const finalDims = reshape ? reshape.dims : x.dims;
    if (reshape) drop.add(g.nodes.indexOf(reshape.node));
    const rows = finalDims[0]!;
    const perRow =
      block === 0
        ? (axis === 0 || axis === -x.dims.length) && elementCount(scale.dims) === x.dims[0]
        : block === elementCount(x.dims) / x.dims[0]! && elementCount(scale.dims) === rows;
    if (feedsActivationQuantizedConv(g, index, finalName) && perRow && x.dtype === DataType.INT4 && !zp) {
      // Same codes as INT8, per output channel: the form ORT's QDQ fusion recognises.
      const q8 = makeTensor(`${x.name}__int8`, DataType.INT8, finalDims, toIntegers(x));
      const s = makeTensor(`${scale.name}__rows`, DataType.FLOAT, [rows], toFloat32(scale));
      initializers.push(q8, s);
      nodes[i] = { ...dq, inputs: [q8.name, s.name], outputs: [finalName], attributes: [intAttr('axis', 0)] };
      toInt8++;
      return;
    }
    const w = dequantizeConstant(x, scale, zp, axis, block);
    initializers.push(makeTensor(finalName, scale.dtype === DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT, finalDims, w));
    drop.add(i);
    folded++;
  });
  const kept = nodes.filter((_, i) => !drop.has(i));
  const read = new Set(kept.flatMap((n) => n.inputs));
  return {
    model: {
      ...model,
      graph: { ...g, nodes: kept, initializers: initializers.filter((t) => read.has(t.name) || g.outputs.some((o) => o.name === t.name)) },
    },
    folded,
    toInt8,
  };
}
