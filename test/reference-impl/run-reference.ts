import { DataType, type DataTypeCode } from '../../src/onnx/ir/dtypes.js';
import { defaultOpset, isDefaultDomain, mainGraph, nodeLabel, type Model, type Node } from '../../src/onnx/ir/graph.js';
import { indexGraph, topologicalOrder } from '../../src/onnx/ir/graph-index.js';
import type { Tensor } from '../../src/onnx/ir/tensor.js';
import { REFERENCE_KERNELS } from './registry.js';
import { refFromTensor, refFromValues, type RefTensor } from './ref-tensor.js';

/**
 * A float32 reference interpreter for inference graphs: nodes run in topological order through the kernels of
 * `registry.ts`. Every float op's result is rounded to float32 (FLOAT16 tensors to float16), so the output is
 * what an exact-rounding float32 runtime would produce; it is the oracle exports are checked against.
 * Only the default ONNX domain is supported; any other op (or domain) throws an Error naming it.
 */

/** A graph input: row-major `data` of shape `dims`. `dtype` defaults to the graph input's declared type. */
export interface ReferenceFeed {
  dims: number[];
  data: Float32Array | Float64Array;
  dtype?: DataTypeCode;
}

export interface ReferenceOptions {
  /** Values to return (any value names, not just graph outputs); default the graph outputs. */
  outputs?: string[];
  /**
   * Called with each node's inputs just before its kernel runs; may return replacements (same length). Used by
   * the fake-quant reference to swap quantized weights and fake-quantize activations at their quantized consumers.
   */
  mapInputs?: (node: Node, label: string, inputs: Array<RefTensor | undefined>) => Array<RefTensor | undefined>;
  /**
   * How FLOAT16 values compute. 'round' (default, the ONNX semantics): every op whose output is FLOAT16 rounds it
   * to float16. 'float32': FLOAT16 feeds, constants and Cast results hold float16 values but compute onward as
   * FLOAT, and FLOAT16 graph outputs are rounded once at the end — what ONNX Runtime's CPU provider effectively
   * does for float16 models (it runs most ops in float32 between inserted Casts).
   */
  float16?: 'round' | 'float32';
}

/** In 'float32' mode a FLOAT16 value (already holding float16 values) is relabelled FLOAT. */
function widen(t: RefTensor): RefTensor {
  return t.dtype === DataType.FLOAT16 ? { ...t, dtype: DataType.FLOAT } : t;
}

function feedTensor(name: string, feed: ReferenceFeed, declared: DataTypeCode | undefined): RefTensor {
  const dtype = feed.dtype ?? declared ?? DataType.FLOAT;
  const n = feed.dims.reduce((a, b) => a * b, 1);
  if (feed.data.length !== n)
    throw new RangeError(`reference: feed ${name} has ${feed.data.length} values for dims ${JSON.stringify(feed.dims)}`);
  return refFromValues(dtype, feed.dims, feed.data);
}

/** How many node inputs read each value: a value is dropped once its last reader has run. */
function useCounts(nodes: readonly Node[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const n of nodes) for (const v of n.inputs) if (v) uses.set(v, (uses.get(v) ?? 0) + 1);
  return uses;
}

/** The live values of one run: fed inputs, decoded initializers (on first use) and node outputs. */
class ValueStore {
  readonly values = new Map<string, RefTensor>();

  constructor(
    private readonly initializers: ReadonlyMap<string, Tensor>,
    readonly relabel: (t: RefTensor) => RefTensor,
  ) {}

  get(name: string): RefTensor | undefined {
    if (!name) return undefined;
    const have = this.values.get(name);
    if (have) return have;
    const init = this.initializers.get(name);
    if (!init) throw new Error(`reference: value ${name} is never produced`);
    const t = this.relabel(refFromTensor(init));
    this.values.set(name, t);
    return t;
  }

  set(name: string, t: RefTensor): void {
    this.values.set(name, this.relabel(t));
  }
}

/** Run one node: look up its inputs (through `mapInputs`), call its kernel, store its outputs. */
function runNode(node: Node, label: string, store: ValueStore, opset: number, options: ReferenceOptions): void {
  const kernel = isDefaultDomain(node.domain) ? REFERENCE_KERNELS.get(node.opType) : undefined;
  if (!kernel) throw new Error(`reference: unsupported op ${node.domain ? `${node.domain}.` : ''}${node.opType} (node ${label})`);
  let inputs = node.inputs.map((v) => store.get(v));
  if (options.mapInputs) inputs = options.mapInputs(node, label, inputs);
  const outputs = kernel(inputs, { node, opset });
  node.outputs.forEach((name, k) => {
    const t = outputs[k];
    if (!name) return;
    if (!t) throw new Error(`reference: ${node.opType} (node ${label}) produced no output ${k}`);
    store.set(name, t);
  });
}

/**
 * Run `model` on `feeds` (graph input name → data). Returns the requested values (default: graph outputs).
 * Shapes are taken from the feeds; declared shapes are not checked. Throws on unsupported ops, missing feeds,
 * or graphs with cycles.
 */
export function runReference(
  model: Model,
  feeds: Record<string, ReferenceFeed>,
  options: ReferenceOptions = {},
): Record<string, RefTensor> {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const { order, cyclic } = topologicalOrder(graph, index);
  if (cyclic.length > 0) throw new Error(`reference: the graph has a cycle through ${graph.nodes[cyclic[0]!]!.opType}`);
  const wanted = options.outputs ?? graph.outputs.map((v) => v.name);
  const keep = new Set(wanted);
  const store = new ValueStore(index.initializers, options.float16 === 'float32' ? widen : (t) => t);
  for (const v of index.realInputs) {
    const feed = feeds[v.name];
    if (!feed) throw new Error(`reference: no feed for graph input ${v.name}`);
    store.set(v.name, feedTensor(v.name, feed, v.type?.elemType));
  }
  const uses = useCounts(graph.nodes);
  const opset = defaultOpset(model) ?? 1;
  for (const i of order) {
    const node = graph.nodes[i]!;
    runNode(node, nodeLabel(node, i), store, opset, options);
    for (const v of node.inputs) {
      const left = (uses.get(v) ?? 1) - 1;
      uses.set(v, left);
      if (left === 0 && !keep.has(v)) store.values.delete(v);
    }
  }
  const declared = new Map(graph.outputs.map((v) => [v.name, v.type?.elemType]));
  const result: Record<string, RefTensor> = {};
  for (const name of wanted) {
    const t = store.get(name);
    if (!t) throw new Error(`reference: value ${name} was not computed`);
    const narrow = options.float16 === 'float32' && declared.get(name) === DataType.FLOAT16;
    result[name] = narrow ? refFromValues(DataType.FLOAT16, t.dims, t.data) : t;
  }
  return result;
}
