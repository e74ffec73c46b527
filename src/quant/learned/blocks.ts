import { indexGraph, topologicalOrder } from '../../onnx/ir/graph-index.js';
import { mainGraph, nodeLabel, type Model } from '../../onnx/ir/graph.js';
import { InputError } from '../../errors.js';
import type { QuantPlan } from '../plan.js';

/**
 * The blocks block reconstruction learns one at a time (python/yoloq_brevitas/learned), decided here from the graph
 * so the Python side holds no graph logic. A block is a contiguous span of the topological order: it starts at its
 * first quantized weight's node and runs up to the next block's first one, so the activations after a block's last
 * Conv (SiLU as Sigmoid·Mul, Concat, …) belong to it and its loss sees them. Nodes before the first block are run,
 * never learned.
 *
 * Nodes from a selection (TopK, ArgMax, ArgMin, NonMaxSuppression) on belong to no block: YOLOv10's end-to-end head
 * picks its 300 detections inside the graph, and a squared error between the float and quantized picks compares
 * different anchors once the two rank them differently. The last block's loss is on what the selection reads (every
 * anchor's boxes and scores) instead.
 */
export interface LearnBlock {
  /** The shared module path ("/model.4"), or "convs N–M" for a fallback group. */
  name: string;
  /** Node labels of the span, in topological order. */
  nodes: string[];
  /** Labels of the plan's weight decisions inside it (the weights this block learns). */
  weights: string[];
  /** Values its nodes produce that a node outside it reads, or that are graph outputs: the loss compares these. */
  outputs: string[];
}

export interface BlockOptions {
  /** Quantized weights per block when node names carry no module path (default 4). */
  fallbackSize?: number;
}

/**
 * The module a node belongs to, from exporter naming: "/model.K" (YOLOv5/v8/v10 ONNX exports),
 * "/backbone/backbone/darkN" (YOLOX's CSPDarknet), else the first two path segments ("/head/stems.0"). Names that
 * are not paths ("Conv_41", "Conv#12") give undefined.
 */
export function modulePath(label: string): string | undefined {
  const parts = label.split('/');
  if (parts[0] !== '' || parts.length < 3) return undefined;
  if (/^model\.\d+$/.test(parts[1]!)) return `/${parts[1]}`;
  if (parts[1] === 'backbone' && parts[2] === 'backbone' && parts.length > 4) return `/backbone/backbone/${parts[3]}`;
  return `/${parts[1]}/${parts[2]}`;
}

/** Ops whose outputs depend on a ranking of their input: nothing downstream of one is a dense function of the weights. */
const SELECTION_OPS = new Set(['TopK', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

/** Node indices at or downstream of a selection op. */
function afterSelection(graph: ReturnType<typeof mainGraph>, sequence: readonly number[]): Set<number> {
  const after = new Set<number>();
  const tainted = new Set<string>();
  for (const i of sequence) {
    const node = graph.nodes[i]!;
    if (SELECTION_OPS.has(node.opType) || node.inputs.some((v) => v && tainted.has(v))) {
      after.add(i);
      for (const v of node.outputs) if (v) tainted.add(v);
    }
  }
  return after;
}

/** Ops whose outputs describe their input's shape, not its values. */
const SHAPE_OPS = new Set(['Shape', 'Size']);

/**
 * Values that carry image data: computed from a graph input through anything but a shape query. A block loss on the
 * rest (constants, shape arithmetic such as YOLOv10's min(300, anchors)) measures nothing and need not be float.
 */
function dataValues(graph: ReturnType<typeof mainGraph>, sequence: readonly number[]): Set<string> {
  // Old exports list initializers among the graph inputs too: those are weights, not images.
  const weights = new Set(graph.initializers.map((t) => t.name));
  const data = new Set(graph.inputs.map((v) => v.name).filter((n) => !weights.has(n)));
  for (const i of sequence) {
    const node = graph.nodes[i]!;
    if (!SHAPE_OPS.has(node.opType) && node.inputs.some((v) => v && data.has(v))) for (const v of node.outputs) if (v) data.add(v);
  }
  return data;
}

/** Group the quantized weights (labels, in topological order) by module path, or N at a time without paths. */
function groupWeights(weights: string[], size: number): Array<{ name: string; first: string; members: string[] }> {
  const paths = weights.map(modulePath);
  const groups: Array<{ name: string; first: string; members: string[] }> = [];
  if (paths.every((p) => p !== undefined)) {
    weights.forEach((w, i) => {
      const last = groups.at(-1);
      if (last && last.name === paths[i]) last.members.push(w);
      else groups.push({ name: paths[i]!, first: w, members: [w] });
    });
    return groups;
  }
  for (let i = 0; i < weights.length; i += size) {
    const members = weights.slice(i, i + size);
    groups.push({ name: `convs ${i + 1}–${i + members.length}`, first: members[0]!, members });
  }
  return groups;
}

/**
 * The ordered blocks of `model` (the plan's working graph) for `plan`'s weight decisions. Every decision lands in
 * exactly one block; a decision whose node is not in the graph is refused by the job writer before this runs.
 */
export function planBlocks(model: Model, plan: QuantPlan, options: BlockOptions = {}): LearnBlock[] {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const { order, cyclic } = topologicalOrder(graph, index);
  const sequence = [...order, ...cyclic];
  const labels = graph.nodes.map((n, i) => nodeLabel(n, i));
  const quantized = new Set(plan.weights.map((w) => w.node));
  const weights = sequence.map((i) => labels[i]!).filter((l) => quantized.has(l));
  const groups = groupWeights(weights, options.fallbackSize ?? 4);
  const position = new Map(sequence.map((nodeIndex, pos) => [labels[nodeIndex]!, pos]));
  const starts = groups.map((g) => position.get(g.first)!);
  const selected = afterSelection(graph, sequence);
  const data = dataValues(graph, sequence);
  const late = weights.find((w) => selected.has(sequence[position.get(w)!]!));
  if (late) throw new InputError(`learned rounding: ${late} comes after a TopK/ArgMax/NonMaxSuppression, where no block loss reaches it`);
  return groups.map((g, k) => {
    const span = sequence.slice(starts[k], k + 1 < starts.length ? starts[k + 1] : sequence.length).filter((i) => !selected.has(i));
    const inside = new Set(span);
    const outputs: string[] = [];
    for (const i of span) {
      for (const v of graph.nodes[i]!.outputs) {
        if (!v) continue;
        const outside = (index.consumers.get(v) ?? []).some((c) => !inside.has(c));
        if ((outside || index.graphOutputs.has(v)) && data.has(v) && !outputs.includes(v)) outputs.push(v);
      }
    }
    return { name: g.name, nodes: span.map((i) => labels[i]!), weights: g.members, outputs };
  });
}

/**
 * Which nodes read each planned activation's fake-quantized value, as the exporters wire it
 * (src/export/emit-activations.ts): every reader for `readers: 'all'`, else only the plan's quantized nodes.
 * Labels, in node order; a decision no node reads is left out.
 */
export function activationReaders(model: Model, plan: QuantPlan): Array<{ value: string; readers: string[] }> {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const labels = graph.nodes.map((n, i) => nodeLabel(n, i));
  const quantized = new Set(plan.weights.map((w) => w.node));
  return plan.activations
    .map((a) => {
      const all = [...new Set(index.consumers.get(a.value) ?? [])].map((i) => labels[i]!);
      return { value: a.value, readers: a.readers === 'all' ? all : all.filter((l) => quantized.has(l)) };
    })
    .filter((a) => a.readers.length > 0);
}
