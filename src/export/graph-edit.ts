import type { Graph, Model, Node } from '../onnx/ir/graph.js';
import { indexGraph, topologicalOrder } from '../onnx/ir/graph-index.js';
import type { Tensor } from '../onnx/ir/tensor.js';

/**
 * A working copy of a model for an exporter: node objects and lists are copied so the source model is never
 * changed (tensors are shared until replaced). Names made here never collide with names already in the graph.
 */
export class GraphEdit {
  readonly model: Model;
  readonly graph: Graph;
  private readonly names = new Set<string>();

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
      if (n.name) this.names.add(n.name);
    }
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  addInitializer(t: Tensor): string {
    this.names.add(t.name);
    this.graph.initializers.push(t);
    return t.name;
  }

  /** Append a node (order is fixed by `finish`); returns its single output name. */
  addNode(node: Omit<Node, 'outputs'> & { outputs?: string[] }): string {
    const name = node.name ? this.fresh(node.name) : undefined;
    const outputs = node.outputs ?? [this.fresh(`${name ?? node.opType}_out`)];
    this.graph.nodes.push({ ...node, ...(name ? { name } : {}), outputs });
    return outputs[0]!;
  }

  /** Drop nodes and initializers nothing reads any more, restore topological order, and return the model. */
  finish(): Model {
    const g = this.graph;
    const outputs = new Set(g.outputs.map((o) => o.name));
    // Rewiring leaves the replaced chains (an int8 weight's Clip, say) without readers: remove them.
    for (let changed = true; changed;) {
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
