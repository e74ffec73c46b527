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
  /** No Conv/Gemm/MatMul lies between this node and a graph output (a prediction layer); box decoding does not count. */
  last: boolean;
  /**
   * Box decoding, not a learned layer: a Conv that reads a Softmax through layout-only ops and feeds no compute layer
   * — ultralytics' DFL projection (YOLOv8/11/v10: a fixed [1, 16, 1, 1] weight 0…15 that takes each box side's
   * expected distance). NVIDIA's Q/DQ guidance for YOLO leaves box decoding in float, and the Python stage's topology
   * (python/yoloq_brevitas/topology.py) never makes it a target; so the Convs in front of it are prediction layers.
   */
  boxDecoding: boolean;
}

const OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** Ops that only move or relabel elements: what may sit between a Softmax and the DFL projection reading it. */
const LAYOUT = new Set(['Reshape', 'Transpose', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten']);
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
  const downstreamOf = (skip: ReadonlySet<number>) => {
    const reached = new Set<string>();
    for (const i of [...order].reverse()) {
      const n = graph.nodes[i]!;
      if ((OPS.has(n.opType) && !skip.has(i)) || n.outputs.some((v) => reached.has(v))) n.inputs.forEach((v) => reached.add(v));
    }
    return reached;
  };
  const readsSoftmax = (value: string | undefined): boolean => {
    const seen = new Set<string>();
    for (let v = value; v && !seen.has(v); ) {
      seen.add(v);
      const p = index.producer.get(v);
      const n = p === undefined ? undefined : graph.nodes[p];
      if (!n) return false;
      if (n.opType === 'Softmax') return true;
      if (!LAYOUT.has(n.opType)) return false;
      v = n.inputs[0];
    }
    return false;
  };
  const withDecoding = downstreamOf(new Set());
  const decoding = new Set(
    order.filter((i) => {
      const n = graph.nodes[i]!;
      return n.opType === 'Conv' && readsSoftmax(n.inputs[0]) && !n.outputs.some((o) => withDecoding.has(o));
    }),
  );
  const computeDownstream = decoding.size > 0 ? downstreamOf(decoding) : withDecoding;
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
      boxDecoding: decoding.has(i),
    });
  });
  return targets;
}
