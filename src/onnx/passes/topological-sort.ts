import { InputError } from '../../errors.js';
import { nodeLabel } from '../ir/graph.js';
import { topologicalOrder } from '../ir/graph-index.js';
import { withGraph, withImplicitInputs } from './graph-edges.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Sort the main graph's nodes so each comes after the producers of its inputs (outer-scope reads of If/Loop/Scan
 * bodies count as inputs). Stable: among nodes that are ready together, file order wins, so a sorted graph comes
 * back unchanged (same model object, modified: false). Subgraph bodies are left as they are.
 * Throws an InputError naming the nodes on (or behind) a cycle.
 */

/** How many node names a cycle error lists before "and N more". */
const MAX_NAMED = 10;

export function topologicalSortPass(): Pass {
  return {
    name: 'topological-sort',
    description: 'orders nodes so that every node comes after the producers of its inputs',
    ensures: [PassProperty.TopologicallySorted],
    preserves: 'all',
    run(model) {
      const graph = model.graph;
      if (!graph) return { model, modified: false };
      const { order, cyclic } = topologicalOrder(withImplicitInputs(graph));
      if (cyclic.length > 0) {
        const names = cyclic.slice(0, MAX_NAMED).map((i) => nodeLabel(graph.nodes[i]!, i));
        const more = cyclic.length > MAX_NAMED ? ` and ${cyclic.length - MAX_NAMED} more` : '';
        const label = graph.name ? `graph "${graph.name}"` : 'the graph';
        throw new InputError(`${label} has a cycle: ${cyclic.length} nodes cannot be ordered: ${names.join(', ')}${more}`);
      }
      if (order.every((n, i) => n === i)) return { model, modified: false };
      return { model: withGraph(model, { ...graph, nodes: order.map((i) => graph.nodes[i]!) }), modified: true };
    },
  };
}
