import { getInt } from '../../onnx/ir/attributes.js';
import { DataType, dtypeName } from '../../onnx/ir/dtypes.js';
import { isDefaultDomain, nodeLabel, type Graph } from '../../onnx/ir/graph.js';
import type { GraphIndex } from '../../onnx/ir/graph-index.js';
import { elementCount, toFloat32, toIntegers } from '../../onnx/ir/tensor.js';
import type { ActivationDecision } from '../plan.js';
import { constantOf } from './weight-trace.js';

/**
 * Reads activation quantizers — a QuantizeLinear on a computed value and the DequantizeLinear(s) reading it, per
 * tensor, uint8 or int8 — as plan decisions. Several pairs on one value with the same scale (Brevitas writes one
 * per consuming layer) become one decision. `readers` says which nodes read the dequantized value, in the terms
 * src/export/emit-activations.ts places them: only the quantized ops' data inputs (the default), or every reader.
 * A pair the plan cannot express (per-axis, a Clip to fewer bits, readers of neither shape, ...) is kept as it is.
 */

/** One represented activation: the decision and the nodes to remove (the QuantizeLinear and its DequantizeLinears). */
export interface ActivationReading {
  decision: ActivationDecision;
  /** Graph indices of the QuantizeLinear / DequantizeLinear nodes the decision replaces. */
  nodes: number[];
  /** DequantizeLinear outputs whose readers read `decision.value` in the float graph. */
  dequantized: string[];
}

export interface ActivationsRead {
  activations: ActivationReading[];
  kept: Array<{ node: string; reason: string }>;
}

interface Pair {
  q: number;
  dqs: number[];
  value: string;
  scale: number;
  zeroPoint: number;
  signed: boolean;
}

/** A scalar constant's single value, or undefined. */
function scalar(graph: Graph, index: GraphIndex, name: string | undefined, float: boolean): { value: number; dtype: number } | undefined {
  const t = name ? constantOf(graph, index, name) : undefined;
  if (!t || elementCount(t.dims) !== 1) return undefined;
  return { value: float ? toFloat32(t)[0]! : Number(toIntegers(t)[0]), dtype: t.dtype };
}

/** The quantizer parameters of a Q or DQ node: float32 scalar scale, uint8/int8 scalar zero point (uint8 0 when absent). */
function params(graph: Graph, index: GraphIndex, i: number): { scale: number; zeroPoint: number; signed: boolean } | string {
  const n = graph.nodes[i]!;
  const s = scalar(graph, index, n.inputs[1], true);
  if (!s || s.dtype !== DataType.FLOAT || !(s.value > 0)) return 'per-axis or non-float32 scale';
  if (getInt(n, 'block_size', 0) > 0) return 'blocked activation quantizer';
  const z = n.inputs[2] ? scalar(graph, index, n.inputs[2], false) : { value: 0, dtype: DataType.UINT8 };
  if (!z) return 'per-axis or non-constant zero point';
  if (z.dtype !== DataType.UINT8 && z.dtype !== DataType.INT8) return `${dtypeName(z.dtype)} activations (a plan holds 8 bits)`;
  return { scale: s.value, zeroPoint: z.value, signed: z.dtype === DataType.INT8 };
}

/** The pair a QuantizeLinear heads, or why it is not a plain activation pair. */
function pairAt(graph: Graph, index: GraphIndex, q: number, dqOutputs: ReadonlySet<string>): Pair | string {
  const node = graph.nodes[q]!;
  const value = node.inputs[0] ?? '';
  const out = node.outputs[0] ?? '';
  if (dqOutputs.has(value)) return 'quantizes a value that is already quantize-dequantized';
  const p = params(graph, index, q);
  if (typeof p === 'string') return p;
  const readers = index.consumers.get(out) ?? [];
  if (readers.length === 0 || index.graphOutputs.has(out)) return 'its quantized output is a graph output or unread';
  for (const r of readers) {
    const dq = graph.nodes[r]!;
    if (dq.opType === 'Clip') return 'a Clip between QuantizeLinear and DequantizeLinear (fewer than 8 bits)';
    if (dq.opType !== 'DequantizeLinear' || dq.inputs[0] !== out) return `its quantized output is read by ${dq.opType}`;
    const d = params(graph, index, r);
    if (typeof d === 'string') return d;
    if (d.scale !== p.scale || d.zeroPoint !== p.zeroPoint || d.signed !== p.signed)
      return 'QuantizeLinear and DequantizeLinear differ in scale or zero point';
    if (index.graphOutputs.has(dq.outputs[0] ?? '')) return 'its dequantized output is a graph output';
  }
  return { q, dqs: [...new Set(readers)], value, ...p };
}

/** Activations enter Conv/ConvTranspose/Gemm at input 0 (as in emit-activations.ts: MatMul's inputs are both data). */
function isWeightSlot(opType: string, slot: number): boolean {
  return (opType === 'Conv' || opType === 'ConvTranspose' || opType === 'Gemm') && slot > 0;
}

const key = (node: number, slot: number) => `${node}:${slot}`;

/**
 * Which readers the exporter would give the dequantized value: 'quantized' when exactly the quantized nodes' data
 * inputs read it, 'all' when every reader's data inputs do, undefined when neither (the pairs stay in the graph).
 */
function readersMode(graph: Graph, _index: GraphIndex, pairs: Pair[], quantized: ReadonlySet<number>): 'quantized' | 'all' | undefined {
  const removed = new Set(pairs.flatMap((p) => [p.q, ...p.dqs]));
  const dequantized = new Set(pairs.flatMap((p) => p.dqs.map((d) => graph.nodes[d]!.outputs[0]!)));
  const got = new Set<string>();
  const all = new Set<string>();
  const quant = new Set<string>();
  graph.nodes.forEach((n, i) => {
    if (removed.has(i)) return;
    n.inputs.forEach((v, slot) => {
      const reads = dequantized.has(v);
      if (!reads && v !== pairs[0]!.value) return;
      if (reads) got.add(key(i, slot));
      if (isWeightSlot(n.opType, slot)) return;
      all.add(key(i, slot));
      if (quantized.has(i)) quant.add(key(i, slot));
    });
  });
  const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((k) => b.has(k));
  return same(got, quant) ? 'quantized' : same(got, all) ? 'all' : undefined;
}

function decisionOf(p: Pair, readers: 'quantized' | 'all'): ActivationDecision {
  const [qmin, qmax] = p.signed ? [-128, 127] : [0, 255];
  const range: [number, number] = [(qmin - p.zeroPoint) * p.scale, (qmax - p.zeroPoint) * p.scale];
  return {
    value: p.value,
    bits: 8,
    signed: p.signed,
    scale: p.scale,
    zeroPoint: p.zeroPoint,
    observer: 'minmax',
    observed: range,
    range: [range[0], range[1]],
    ...(readers === 'all' ? { readers: 'all' as const } : {}),
  };
}

/**
 * Every activation QuantizeLinear of the graph that is not part of a weight chain (`weightNodes`). `quantized`
 * holds the graph indices of the nodes whose weights the plan quantizes.
 */
export function readActivations(
  graph: Graph,
  index: GraphIndex,
  weightNodes: ReadonlySet<number>,
  quantized: ReadonlySet<number>,
): ActivationsRead {
  const kept: ActivationsRead['kept'] = [];
  const dqOutputs = new Set<string>();
  for (const n of graph.nodes) if (n.opType === 'DequantizeLinear' && isDefaultDomain(n.domain)) dqOutputs.add(n.outputs[0] ?? '');
  const byValue = new Map<string, Pair[]>();
  graph.nodes.forEach((n, i) => {
    if (n.opType !== 'QuantizeLinear' || !isDefaultDomain(n.domain) || weightNodes.has(i)) return;
    const p = pairAt(graph, index, i, dqOutputs);
    if (typeof p === 'string') return void kept.push({ node: nodeLabel(n, i), reason: p });
    const first = byValue.get(p.value)?.[0];
    if (first && (first.scale !== p.scale || first.zeroPoint !== p.zeroPoint || first.signed !== p.signed)) {
      return void kept.push({ node: nodeLabel(n, i), reason: `a second quantizer of ${p.value} with another scale or zero point` });
    }
    byValue.set(p.value, [...(byValue.get(p.value) ?? []), p]);
  });
  const activations: ActivationReading[] = [];
  for (const pairs of byValue.values()) {
    const mode = readersMode(graph, index, pairs, quantized);
    if (!mode) {
      for (const p of pairs)
        kept.push({
          node: nodeLabel(graph.nodes[p.q]!, p.q),
          reason: 'the dequantized value is read by neither exactly the quantized ops nor every reader',
        });
      continue;
    }
    activations.push({
      decision: decisionOf(pairs[0]!, mode),
      nodes: pairs.flatMap((p) => [p.q, ...p.dqs]),
      dequantized: pairs.flatMap((p) => p.dqs.map((d) => graph.nodes[d]!.outputs[0]!)),
    });
  }
  return { activations, kept };
}
