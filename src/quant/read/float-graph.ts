import { DataType } from '../../onnx/ir/dtypes.js';
import { mainGraph, type Model, type Node } from '../../onnx/ir/graph.js';
import { indexGraph } from '../../onnx/ir/graph-index.js';
import { makeTensor, type Tensor } from '../../onnx/ir/tensor.js';

/**
 * Builds the float model a read plan applies to: each represented weight chain becomes a float32 initializer
 * named like the value its consumer reads, each represented activation pair is removed with its readers rewired
 * to the original value, and whatever only those nodes read (codes, scales, zero points, Constant nodes) goes
 * with them. Everything else — node order, names, kept quantizers — is left as it was.
 */

export interface FloatWeight {
  /** The value the consumer reads: the new initializer's name. */
  name: string;
  dims: number[];
  values: Float32Array;
}

export interface FloatEdits {
  weights: FloatWeight[];
  /** Graph indices of the activation Q/DQ nodes to remove. */
  activationNodes: number[];
  /** Dequantized value → the value it stands for. */
  rewire: Map<string, string>;
}

export interface FloatGraph {
  model: Model;
  /** Source node index → index in the float graph (−1: removed). */
  indexMap: number[];
}

/** Remove `start` and then every producer (transitively) that only removed nodes read. */
function sweep(nodes: Node[], removed: Set<number>, start: Iterable<number>, outputs: Set<string>): void {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const readers = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (!removed.has(i)) for (const v of n.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
  });
  const work = [...start];
  while (work.length > 0) {
    const i = work.pop()!;
    if (removed.has(i)) continue;
    removed.add(i);
    for (const v of nodes[i]!.inputs) {
      const left = (readers.get(v) ?? 0) - 1;
      readers.set(v, left);
      const p = producer.get(v);
      const dead = p !== undefined && nodes[p]!.outputs.every((o) => !o || ((readers.get(o) ?? 0) <= 0 && !outputs.has(o)));
      if (dead) work.push(p);
    }
  }
}

/** Only tensors that are not external: the float model serializes to self-contained bytes (its SHA-256 names it). */
function inline(t: Tensor): Tensor {
  if (!t.external) return t;
  const { external: _external, ...rest } = t;
  return rest;
}

export function buildFloatGraph(source: Model, edits: FloatEdits): FloatGraph {
  const g = mainGraph(source);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const nodes = g.nodes.map((n) => ({ ...n, inputs: n.inputs.map((v) => edits.rewire.get(v) ?? v) }));
  const index = indexGraph({ ...g, nodes });
  const removed = new Set<number>();
  const start = new Set(edits.activationNodes);
  const added = new Map<string, Tensor>();
  for (const w of edits.weights) {
    if (added.has(w.name)) continue;
    added.set(w.name, makeTensor(w.name, DataType.FLOAT, w.dims, w.values));
    // The chain's last node produced the value the initializer now holds.
    const p = index.producer.get(w.name);
    if (p !== undefined) start.add(p);
  }
  // Nodes that lose their readers are only those the removed nodes read; the sweep stops at anything still read.
  sweep(nodes, removed, start, outputs);
  const kept = nodes.filter((_, i) => !removed.has(i));
  const read = new Set<string>([...kept.flatMap((n) => n.inputs), ...outputs]);
  // Initializers only removed nodes read go with them; ones nothing read before stay, as they were.
  const readByRemoved = new Set(nodes.filter((_, i) => removed.has(i)).flatMap((n) => n.inputs));
  const initializers = [...g.initializers.filter((t) => read.has(t.name) || !readByRemoved.has(t.name)).map(inline), ...added.values()];
  const names = new Set<string>([...initializers.map((t) => t.name), ...kept.flatMap((n) => n.outputs)]);
  const legacyInputs =
    (source.irVersion ?? 8) < 4
      ? [...added.values()].map((t) => ({ name: t.name, type: { elemType: DataType.FLOAT, shape: t.dims } }))
      : [];
  const inputs = [...g.inputs.filter((v) => names.has(v.name) || !g.initializers.some((t) => t.name === v.name)), ...legacyInputs];
  const graph = {
    ...g,
    nodes: kept,
    initializers,
    inputs,
    valueInfo: g.valueInfo.filter((v) => names.has(v.name) || inputs.some((i) => i.name === v.name) || outputs.has(v.name)),
  };
  let next = 0;
  const indexMap = nodes.map((_, i) => (removed.has(i) ? -1 : next++));
  return { model: { ...source, graph }, indexMap };
}
