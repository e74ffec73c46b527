import { getInt, getInts, getString, intAttr, intsAttr, stringAttr } from '../../onnx/ir/attributes.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import type { Attribute, Model, Node } from '../../onnx/ir/graph.js';
import { makeTensor } from '../../onnx/ir/tensor.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import type { QuantTarget } from '../policy/targets.js';
import { assertFiniteStatistic } from '../policy/non-finite.js';

/**
 * Per-layer input Hessians H = Σ x·xᵀ for GPTQ, computed by ONNX Runtime in one pass over the calibration set.
 * For each Conv the float graph gets a side branch: im2col as a Conv with one-hot kernels (group = Cin, one output
 * channel per (c, i, j), with the layer's strides, pads and dilations), Reshape to [group, K, N], and a batched
 * MatMul with its transpose → [group, K, K]. Rows of K are ordered (c, i, j), the order of a Conv weight
 * [Cout, Cin/group, kh, kw] flattened per row. Gemm (transB=1) layers use their input [N, K] directly.
 */

export interface LayerHessian {
  node: string;
  groups: number;
  /** Columns per group: Cin/group·kh·kw (Conv) or K (Gemm). */
  k: number;
  /** Σ over images and positions of x·xᵀ, float64 [groups, k, k]. */
  h: Float64Array;
  /** Σ of x over images and positions, float64 [groups, k] (for bias correction). */
  sum: Float64Array;
  /** Number of input vectors summed (images × output positions). */
  count: number;
}

interface Branch {
  target: QuantTarget;
  groups: number;
  k: number;
  hOut: string;
  sOut: string;
  nOut: string;
}

/** Whether GPTQ can take this target (Conv, or Gemm with transB=1 and a 2-D input). */
export function hessianSupported(t: QuantTarget): boolean {
  return t.opType === 'Conv' || (t.opType === 'Gemm' && t.rowMajorOutputs);
}

function convAttrs(node: Node): Attribute[] {
  const out: Attribute[] = [];
  for (const name of ['strides', 'dilations', 'pads'] as const) {
    const v = getInts(node, name);
    if (v) out.push(intsAttr(name, v));
  }
  const ap = getString(node, 'auto_pad');
  if (ap) out.push(stringAttr('auto_pad', ap));
  return out;
}

type Initializers = NonNullable<Model['graph']>['initializers'];

export interface BranchContext {
  nodes: Node[];
  inits: Initializers;
  opset: number;
}

/**
 * The rows a target's weight multiplies, as a value [groups, K, N] computed from `input`: for a Conv, im2col as a
 * Conv with one-hot kernels then Reshape; for a Gemm (transB=1), its input [N, K] transposed.
 */
export function addRows(
  ctx: BranchContext,
  t: QuantTarget,
  node: Node,
  input: string,
  prefix: string,
): { rows: string; groups: number; k: number } {
  let src: string;
  let groups = 1;
  let k: number;
  if (t.opType === 'Conv') {
    const [, cinG, kh, kw] = t.weight.dims as [number, number, number, number];
    groups = getInt(node, 'group', 1);
    const cin = cinG * groups;
    const kk = kh * kw;
    k = cinG * kk;
    const onehot = new Float32Array(cin * kk * kk);
    for (let c = 0; c < cin; c++) for (let p = 0; p < kk; p++) onehot[(c * kk + p) * kk + p] = 1;
    const eye = `${prefix}_im2col_w`;
    ctx.inits.push(makeTensor(eye, DataType.FLOAT, [cin * kk, 1, kh, kw], onehot));
    src = `${prefix}_patches`;
    ctx.nodes.push({
      opType: 'Conv',
      name: src,
      inputs: [input, eye],
      outputs: [src],
      attributes: [...convAttrs(node), intAttr('group', cin), intsAttr('kernel_shape', [kh, kw])],
    });
  } else {
    k = t.weight.dims[1]!;
    src = `${prefix}_xt`;
    ctx.nodes.push({ opType: 'Transpose', name: src, inputs: [input], outputs: [src], attributes: [intsAttr('perm', [1, 0])] });
  }
  const shape = `${prefix}_shape`;
  ctx.inits.push(makeTensor(shape, DataType.INT64, [3], [groups, k, -1]));
  const rows = `${prefix}_rows`;
  ctx.nodes.push({ opType: 'Reshape', name: rows, inputs: [src, shape], outputs: [rows], attributes: [] });
  return { rows, groups, k };
}

/** Transpose of rows [groups, K, N] → [groups, N, K]. */
export function addTranspose(ctx: BranchContext, rows: string): string {
  const out = `${rows}_t`;
  ctx.nodes.push({ opType: 'Transpose', name: out, inputs: [rows], outputs: [out], attributes: [intsAttr('perm', [0, 2, 1])] });
  return out;
}

/** Σ over N of rows [groups, K, N] → [groups, K]. */
export function addRowSum(ctx: BranchContext, rows: string, out: string): void {
  if (ctx.opset >= 13) {
    // ReduceSum takes its axes as an input from opset 13.
    const axes = `${out}_axes`;
    ctx.inits.push(makeTensor(axes, DataType.INT64, [1], [2]));
    ctx.nodes.push({ opType: 'ReduceSum', name: out, inputs: [rows, axes], outputs: [out], attributes: [intAttr('keepdims', 0)] });
  } else {
    ctx.nodes.push({
      opType: 'ReduceSum',
      name: out,
      inputs: [rows],
      outputs: [out],
      attributes: [intsAttr('axes', [2]), intAttr('keepdims', 0)],
    });
  }
}

/** H = rows·rowsᵀ, sum over N, and the row count (from Shape) for one target. */
function addGram(ctx: BranchContext, t: QuantTarget, node: Node, prefix: string): Branch {
  const { rows, groups, k } = addRows(ctx, t, node, node.inputs[0]!, prefix);
  const rt = addTranspose(ctx, rows);
  const hOut = `${prefix}_hessian`;
  const sOut = `${prefix}_sum`;
  const nOut = `${prefix}_count`;
  ctx.nodes.push({ opType: 'MatMul', name: hOut, inputs: [rows, rt], outputs: [hOut], attributes: [] });
  addRowSum(ctx, rows, sOut);
  ctx.nodes.push({ opType: 'Shape', name: nOut, inputs: [rt], outputs: [nOut], attributes: [] });
  return { target: t, groups, k, hOut, sOut, nOut };
}

/** The float model with a Hessian, input-sum and shape output per supported target (names prefixed "yoloq_h"). */
export function hessianModel(model: Model, targets: readonly QuantTarget[]): { model: Model; branches: Branch[] } {
  const g = model.graph!;
  const opset = model.opsetImports.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 13;
  const ctx: BranchContext = { nodes: [...g.nodes], inits: [...g.initializers], opset };
  const branches: Branch[] = [];
  targets.forEach((t, i) => {
    if (hessianSupported(t)) branches.push(addGram(ctx, t, g.nodes[t.nodeIndex]!, `yoloq_h${i}`));
  });
  const outputs = [...g.outputs];
  for (const b of branches) for (const o of [b.hOut, b.sOut]) outputs.push({ name: o, type: { elemType: DataType.FLOAT } });
  for (const b of branches) outputs.push({ name: b.nOut, type: { elemType: DataType.INT64 } });
  return { model: { ...model, graph: { ...g, nodes: ctx.nodes, initializers: ctx.inits, outputs } }, branches };
}

export interface HessianOptions {
  threads?: number;
  onProgress?: (done: number) => void;
}

/**
 * Run the calibration feeds once and sum every supported target's input Hessian (float64 in JS, in feed order,
 * so the result is deterministic for a fixed ORT thread count).
 */
export async function collectHessians(
  model: Model,
  targets: readonly QuantTarget[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: HessianOptions = {},
): Promise<Map<string, LayerHessian>> {
  const { model: hm, branches } = hessianModel(model, targets);
  const out = new Map<string, LayerHessian>(
    branches.map((b) => [
      b.target.node,
      {
        node: b.target.node,
        groups: b.groups,
        k: b.k,
        h: new Float64Array(b.groups * b.k * b.k),
        sum: new Float64Array(b.groups * b.k),
        count: 0,
      },
    ]),
  );
  if (branches.length === 0) return out;
  const session = await createSession(modelToBytes(hm), { threads: options.threads ?? 0 });
  const names = branches.flatMap((b) => [b.hOut, b.sOut, b.nOut]);
  let done = 0;
  try {
    for await (const feed of feeds) {
      const res = await session.run(feed, names);
      for (const b of branches) {
        const acc = out.get(b.target.node)!;
        const h = toFloatTensor(res[b.hOut]!).data;
        const s = toFloatTensor(res[b.sOut]!).data;
        for (let i = 0; i < h.length; i++) acc.h[i]! += h[i]!;
        for (let i = 0; i < s.length; i++) acc.sum[i]! += s[i]!;
        const shape = res[b.nOut]!.data as BigInt64Array;
        acc.count += Number(shape[1]);
      }
      options.onProgress?.(++done);
    }
  } finally {
    await session.dispose();
  }
  // NaN or Inf in a layer's inputs (non-finite values upstream) would surface as "not positive definite" later.
  for (const acc of out.values()) assertFiniteStatistic(acc.node, 'calibration Hessian', acc.h);
  return out;
}
