import { getInt } from '../../onnx/ir/attributes.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import { isDefaultDomain, mainGraph, nodeLabel, type Model } from '../../onnx/ir/graph.js';
import { indexGraph, topologicalOrder } from '../../onnx/ir/graph-index.js';
import type { Tensor } from '../../onnx/ir/tensor.js';

/** A node whose weight yoloq can quantize: a Conv/ConvTranspose/Gemm/MatMul reading a float initializer. */
export interface QuantTarget {
  /** Node name, or "OpType#index" for an unnamed node (the name the plan uses). */
  node: string;
  nodeIndex: number;
  opType: 'Conv' | 'ConvTranspose' | 'Gemm' | 'MatMul';
  /** Input slot holding the weight. */
  input: number;
  weight: Tensor;
  /** Axis of the stored weight that indexes output channels. */
  outputAxis: number;
  /** True when the weight can be viewed 2-D as [Cout, K] row by row (Conv, Gemm with transB=1): blocked scales possible. */
  rowMajorOutputs: boolean;
  /** No Conv/Gemm/MatMul lies between a graph input and this node (a stem layer). */
  first: boolean;
  /** No Conv/Gemm/MatMul lies between this node and a graph output (a prediction layer). */
  last: boolean;
}

const OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const FLOAT_WEIGHTS = new Set<number>([DataType.FLOAT, DataType.FLOAT16]);

function weightSlot(opType: string, inputs: string[], inits: Map<string, Tensor>): number | undefined {
  if (opType === 'Conv' || opType === 'ConvTranspose') return inits.has(inputs[1] ?? '') ? 1 : undefined;
  // Gemm/MatMul: the constant operand must be B (input 1); a constant A is an unusual export we leave float.
  return inits.has(inputs[1] ?? '') && !inits.has(inputs[0] ?? '') ? 1 : undefined;
}

function outputAxisOf(opType: string, node: Parameters<typeof getInt>[0]): number {
  if (opType === 'Conv') return 0;
  if (opType === 'Gemm') return getInt(node, 'transB', 0) ? 0 : 1;
  return 1; // ConvTranspose [Cin, Cout/g, ...], MatMul B [K, N]
}

/**
 * Every quantizable node, in graph order. Weights shared by several nodes are quantized at their first consumer only
 * (later consumers are left out), so one initializer never gets two different codes.
 */
export function findQuantTargets(model: Model): QuantTarget[] {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const { order } = topologicalOrder(graph, index);
  // Forward and backward reachability of compute layers, over values, in topological order.
  const computeUpstream = new Set<string>();
  for (const i of order) {
    const n = graph.nodes[i]!;
    if (OPS.has(n.opType) || n.inputs.some((v) => computeUpstream.has(v))) n.outputs.forEach((o) => computeUpstream.add(o));
  }
  const computeDownstream = new Set<string>();
  for (const i of [...order].reverse()) {
    const n = graph.nodes[i]!;
    if (OPS.has(n.opType) || n.outputs.some((v) => computeDownstream.has(v))) n.inputs.forEach((v) => computeDownstream.add(v));
  }
  const seen = new Set<string>();
  const targets: QuantTarget[] = [];
  graph.nodes.forEach((node, i) => {
    if (!OPS.has(node.opType) || !isDefaultDomain(node.domain)) return;
    const slot = weightSlot(node.opType, node.inputs, index.initializers);
    if (slot === undefined) return;
    const weight = index.initializers.get(node.inputs[slot]!)!;
    if (!FLOAT_WEIGHTS.has(weight.dtype) || seen.has(weight.name) || weight.dims.length < 2) return;
    seen.add(weight.name);
    const opType = node.opType as QuantTarget['opType'];
    const outputAxis = outputAxisOf(opType, node);
    targets.push({
      node: nodeLabel(node, i),
      nodeIndex: i,
      opType,
      input: slot,
      weight,
      outputAxis,
      rowMajorOutputs: outputAxis === 0,
      first: !(node.inputs[0] && computeUpstream.has(node.inputs[0])),
      last: !node.outputs.some((o) => computeDownstream.has(o)),
    });
  });
  return targets;
}
