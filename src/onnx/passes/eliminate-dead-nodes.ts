import type { Graph, Node } from '../ir/graph.js';
import { allReads, withGraph } from './graph-edges.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Remove nodes no graph output depends on, then initializers nothing reads.
 *
 * Liveness starts at the graph outputs and walks back through producers; a node is kept whole when any of its
 * outputs is live, and the values its If/Loop/Scan bodies read from the outer scope count as its inputs.
 * Graph inputs that are not initializers are the model's interface and always stay, read or not. An initializer
 * that is also listed as a graph input (always so in IR-3 models, where inputs must list every initializer; an
 * overridable default in IR ≥ 4) is removed together with its input entry, so the input list never names a value
 * that has no initializer and no feed. value_info entries for values that no longer exist are dropped.
 * Node order is kept. Only the main graph is pruned; subgraph bodies are left as they are.
 */

/** Indices of nodes some graph output depends on, and every value those nodes (or the outputs) read. */
function liveSet(graph: Graph): { nodes: Set<number>; values: Set<string> } {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o && !producer.has(o)) producer.set(o, i);
  });
  const nodes = new Set<number>();
  const values = new Set<string>();
  const stack = graph.outputs.map((v) => v.name);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (values.has(name)) continue;
    values.add(name);
    const p = producer.get(name);
    if (p === undefined || nodes.has(p)) continue;
    nodes.add(p);
    stack.push(...allReads(graph.nodes[p]!));
  }
  return { nodes, values };
}

function definedNames(nodes: readonly Node[], graph: Graph, initializers: ReadonlySet<string>): Set<string> {
  const names = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.outputs.map((v) => v.name), ...initializers]);
  for (const n of nodes) for (const o of n.outputs) if (o) names.add(o);
  return names;
}

export function eliminateDeadNodesPass(): Pass {
  return {
    name: 'eliminate-dead-nodes',
    description: 'removes nodes no graph output depends on and initializers nothing reads',
    ensures: [PassProperty.NoDeadNodes],
    preserves: 'all',
    run(model) {
      const graph = model.graph;
      if (!graph) return { model, modified: false };
      const live = liveSet(graph);
      const nodes = graph.nodes.filter((_, i) => live.nodes.has(i));
      const initializers = graph.initializers.filter((t) => live.values.has(t.name));
      if (nodes.length === graph.nodes.length && initializers.length === graph.initializers.length) return { model, modified: false };
      const kept = new Set(initializers.map((t) => t.name));
      const removed = new Set(graph.initializers.filter((t) => !kept.has(t.name)).map((t) => t.name));
      const inputs = graph.inputs.filter((v) => !removed.has(v.name) || kept.has(v.name));
      const defined = definedNames(nodes, { ...graph, inputs }, kept);
      const valueInfo = graph.valueInfo.filter((v) => defined.has(v.name));
      return { model: withGraph(model, { ...graph, nodes, initializers, inputs, valueInfo }), modified: true };
    },
  };
}
