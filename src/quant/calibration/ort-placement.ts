import { mainGraph, nodeLabel, type Model } from '../../onnx/ir/graph.js';
import type { WeightDecision } from '../plan.js';

/**
 * Q/DQ placement for an all-integer chain on ONNX Runtime's CPU EP. ORT's QDQ selectors
 * (onnxruntime/core/optimizer/qdq_transformer/selectors_actions/qdq_selector_action_transformer.cc) turn a node
 * into an integer kernel only when every data input comes from a DequantizeLinear and its output goes to one
 * QuantizeLinear: Conv → QLinearConv, Sigmoid → QLinearSigmoid, Add/Mul → QLinearAdd/QLinearMul (both operands
 * quantized), Concat → QLinearConcat (scales may differ); MaxPool, Resize, Split and the data-movement ops
 * (Reshape, Slice, Transpose, …) drop their Q/DQ and run on the integers, but only when input and output carry
 * the same scale and zero point. So every float value from the first quantized Conv's output to the last
 * quantized node's input is quantized (every reader sees it), plus each quantized Conv's output (the prediction
 * layers' too: the box decoding then starts at a DequantizeLinear); the scale-preserving ops get one group each.
 * An operand that is a float constant (the depthwise-equalization Mul) cannot be an integer input; that node
 * stays float.
 */
export function ortIntegerPlacement(model: Model, weights: readonly WeightDecision[]): Array<{ value: string; group?: string }> {
  const graph = mainGraph(model);
  const quantized = new Set(weights.map((w) => w.node));
  const inits = new Set(graph.initializers.map((t) => t.name));
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const isData = (v: string | undefined): v is string =>
    Boolean(v) && !inits.has(v!) && graph.nodes[producer.get(v!) ?? -1]?.opType !== 'Constant';
  const dataInputs = (i: number): string[] => {
    const n = graph.nodes[i]!;
    return (MULTI_INPUT.has(n.opType) ? n.inputs : n.inputs.slice(0, 1)).filter(isData);
  };
  // Values that feed a quantized node through data inputs only (shape arithmetic never joins).
  const upstream = new Set<string>();
  const stack = graph.nodes.flatMap((n, i) => (quantized.has(nodeLabel(n, i)) ? dataInputs(i) : []));
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (upstream.has(v)) continue;
    upstream.add(v);
    const p = producer.get(v);
    if (p !== undefined) stack.push(...dataInputs(p));
  }
  // Values computed from a quantized Conv's output: the chain starts there (the stem's input preprocessing and
  // the model input stay float up to the first activation QuantizeLinear).
  const readers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => readers.set(v, [...(readers.get(v) ?? []), i])));
  const convOutputs = graph.nodes.flatMap((n, i) => (n.opType === 'Conv' && quantized.has(nodeLabel(n, i)) ? [n.outputs[0]!] : []));
  const downstream = new Set<string>();
  const walk = [...convOutputs];
  while (walk.length > 0) {
    const v = walk.pop()!;
    if (downstream.has(v) || !upstream.has(v)) continue;
    downstream.add(v);
    for (const r of readers.get(v) ?? []) if (dataInputs(r).includes(v)) walk.push(...graph.nodes[r]!.outputs);
  }
  const values = [...new Set([...convOutputs, ...[...downstream].filter((v) => upstream.has(v))])];
  const chain = new Set(values);
  // One group per connected set of scale-preserving ops (an SPP block's MaxPools share the input they all read).
  const parent = new Map<string, string>(values.map((v) => [v, v]));
  const root = (v: string): string => {
    let r = v;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(v, r);
    return r;
  };
  graph.nodes.forEach((n, i) => {
    if (!SAME_SCALE.has(n.opType) || quantized.has(nodeLabel(n, i))) return;
    const members = [n.inputs[0], ...n.outputs].filter((v): v is string => v !== undefined && chain.has(v));
    if (members.length !== n.outputs.length + 1) return;
    for (const m of members.slice(1)) parent.set(root(m), root(members[0]!));
  });
  const size = new Map<string, number>();
  for (const v of values) size.set(root(v), (size.get(root(v)) ?? 0) + 1);
  return values.map((v) => (size.get(root(v))! > 1 ? { value: v, group: `same-scale:${root(v)}` } : { value: v }));
}

/** Ops whose every input is data (the rest read data at input 0 and shapes, scales or indices after it). */
const MULTI_INPUT: ReadonlySet<string> = new Set(['Concat', 'Add', 'Mul', 'Sub', 'Div', 'Sum', 'Max', 'Min', 'MatMul']);

/** Ops ORT runs on the integers only when input and output share one scale and zero point (its "drop Q/DQ" rules). */
const SAME_SCALE: ReadonlySet<string> = new Set([
  'MaxPool',
  'Resize',
  'Split',
  'Slice',
  'Reshape',
  'Transpose',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Gather',
  'Expand',
  'Tile',
]);
