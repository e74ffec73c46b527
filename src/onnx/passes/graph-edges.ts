import type { Graph, Model, Node } from '../ir/graph.js';

/**
 * Edges the node input lists do not show: a node with subgraph attributes (If, Loop, Scan) reads outer-scope
 * values inside its bodies. Passes that order or prune nodes must count those reads as inputs of the node.
 */

function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes) {
    if (a.value.kind === 'graph') out.push(a.value.value);
    else if (a.value.kind === 'graphs') out.push(...a.value.value);
  }
  return out;
}

/** Names `graph` (and its nested subgraphs) reads without defining them: its outer-scope reads. */
function freeNames(graph: Graph): Set<string> {
  const defined = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.map((t) => t.name)]);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const free = new Set<string>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) free.add(i);
    for (const name of outerScopeReads(n)) if (!defined.has(name)) free.add(name);
  }
  for (const o of graph.outputs) if (!defined.has(o.name)) free.add(o.name);
  return free;
}

/** Outer-scope values `node`'s subgraphs read, in a stable order; empty for nodes without subgraphs. */
export function outerScopeReads(node: Node): string[] {
  const names = new Set<string>();
  for (const g of subgraphsOf(node)) for (const n of freeNames(g)) names.add(n);
  return [...names];
}

/** Every value `node` reads: its inputs (omitted "" dropped) and its subgraphs' outer-scope reads. */
export function allReads(node: Node): string[] {
  return [...node.inputs.filter((i) => i !== ''), ...outerScopeReads(node)];
}

/**
 * A view of `graph` whose nodes list their outer-scope reads as extra inputs, for use with graph-index functions
 * (indices match `graph.nodes`). The view shares everything else and must not be saved.
 */
export function withImplicitInputs(graph: Graph): Graph {
  if (!graph.nodes.some((n) => subgraphsOf(n).length > 0)) return graph;
  return { ...graph, nodes: graph.nodes.map((n) => (subgraphsOf(n).length > 0 ? { ...n, inputs: allReads(n) } : n)) };
}

/** A model with its graph replaced, all other fields shared. */
export function withGraph(model: Model, graph: Graph): Model {
  return { ...model, graph };
}
