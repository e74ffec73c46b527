import type { Graph, Model, Node } from '../onnx/ir/graph.js';
import { indexGraph, topologicalOrder } from '../onnx/ir/graph-index.js';
import { makeTensor, type Tensor } from '../onnx/ir/tensor.js';

/**
 * A working copy of a model for an exporter: node objects and lists are copied so the source model is never
 * changed (tensors are shared until replaced). Names made here never collide with names already in the graph.
 */
export class GraphEdit {
  readonly model: Model;
  readonly graph: Graph;
  private readonly names = new Set<string>();
  /** Node names are their own namespace in ONNX: a node may share its output's name. */
  private readonly nodeNames = new Set<string>();

  constructor(source: Model) {
    const g = source.graph!;
    this.graph = {
      ...g,
      nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attributes: [...n.attributes] })),
      inputs: [...g.inputs],
      outputs: [...g.outputs],
      valueInfo: [...g.valueInfo],
      initializers: [...g.initializers],
    };
    this.model = { ...source, opsetImports: source.opsetImports.map((o) => ({ ...o })), metadata: [...source.metadata], graph: this.graph };
    for (const v of g.inputs) this.names.add(v.name);
    for (const t of g.initializers) this.names.add(t.name);
    for (const n of g.nodes) {
      n.outputs.forEach((o) => this.names.add(o));
      if (n.name) this.nodeNames.add(n.name);
    }
  }

  /** A value or initializer name not used yet. */
  fresh(base: string): string {
    return unique(this.names, base);
  }

  addInitializer(t: Tensor): string {
    this.names.add(t.name);
    this.graph.initializers.push(t);
    return t.name;
  }

  private readonly scalars = new Map<string, string>();

  /** One scalar initializer per (type, value), shared by every node that needs it (activation zero points). */
  sharedScalar(dtype: number, value: number, base: string): string {
    const key = `${dtype}:${value}`;
    let name = this.scalars.get(key);
    if (!name) {
      name = this.addInitializer(makeTensor(this.fresh(`${base}_${value}`), dtype, [], [value]));
      this.scalars.set(key, name);
    }
    return name;
  }

  /** Remove an initializer and free its name for a value this edit will produce. */
  releaseInitializer(name: string): void {
    this.graph.initializers = this.graph.initializers.filter((t) => t.name !== name);
    this.graph.inputs = this.graph.inputs.filter((v) => v.name !== name);
    this.names.delete(name);
  }

  /** Append a node (order is fixed by `finish`); returns its single output name. */
  addNode(node: Omit<Node, 'outputs'> & { outputs?: string[] }): string {
    const name = node.name ? unique(this.nodeNames, node.name) : undefined;
    const outputs = node.outputs ?? [this.fresh(`${name ?? node.opType}_out`)];
    this.graph.nodes.push({ ...node, ...(name ? { name } : {}), outputs });
    return outputs[0]!;
  }

  /** Drop nodes and initializers nothing reads any more, restore topological order, and return the model. */
  finish(): Model {
    const g = this.graph;
    const outputs = new Set(g.outputs.map((o) => o.name));
    // Rewiring leaves the replaced chains (an int8 weight's Clip, say) without readers: remove them.
    for (let changed = true; changed; ) {
      const read = indexGraph(g).consumers;
      const before = g.nodes.length;
      g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o && (read.has(o) || outputs.has(o))));
      changed = g.nodes.length !== before;
    }
    const index = indexGraph(g);
    const used = new Set<string>([...index.consumers.keys(), ...g.outputs.map((o) => o.name)]);
    g.initializers = g.initializers.filter((t) => used.has(t.name));
    const inits = new Set(g.initializers.map((t) => t.name));
    // IR-3 models list initializers among inputs; keep that list consistent with the initializers kept.
    g.inputs = g.inputs.filter((v) => inits.has(v.name) || !index.initializers.has(v.name));
    const { order, cyclic } = topologicalOrder(g);
    g.nodes = [...order, ...cyclic].map((i) => g.nodes[i]!);
    return this.model;
  }
}

function unique(used: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}
