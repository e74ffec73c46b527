import type { Graph, Node, ValueInfo } from './graph.js';
import type { Tensor } from './tensor.js';

/**
 * Lookup tables over one graph, built in one pass. Rebuild after editing the graph: the index does not track edits.
 * Names are ONNX value names; "" (an omitted optional input) is never indexed.
 */
export interface GraphIndex {
  /** value name → index of the node that produces it (the first, if a broken graph has several). */
  producer: Map<string, number>;
  /** value name → indices of the nodes that read it, in node order (a node reading a value twice is listed twice). */
  consumers: Map<string, number[]>;
  initializers: Map<string, Tensor>;
  /** graph inputs that are not initializers (IR-3 models list initializers as inputs too). */
  realInputs: ValueInfo[];
  graphOutputs: Set<string>;
}

export function indexGraph(graph: Graph): GraphIndex {
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((node, i) => {
    for (const out of node.outputs) if (out && !producer.has(out)) producer.set(out, i);
    for (const inp of node.inputs) {
      if (!inp) continue;
      const list = consumers.get(inp);
      if (list) list.push(i);
      else consumers.set(inp, [i]);
    }
  });
  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  return {
    producer,
    consumers,
    initializers,
    realInputs: graph.inputs.filter((v) => !initializers.has(v.name)),
    graphOutputs: new Set(graph.outputs.map((v) => v.name)),
  };
}

/** The node producing `name`, if any. */
export function producerOf(graph: Graph, index: GraphIndex, name: string): Node | undefined {
  const i = index.producer.get(name);
  return i === undefined ? undefined : graph.nodes[i];
}

export interface TopoResult {
  /** Node indices in an order where every node comes after the producers of its inputs. */
  order: number[];
  /** Nodes left over because they sit on (or behind) a cycle; empty for a DAG. */
  cyclic: number[];
}

/**
 * Kahn's algorithm over value edges, stable: among ready nodes the earliest in file order goes first, so a graph
 * that is already sorted keeps its order. Values with no producer (inputs, initializers, dangling names) are ready.
 */
export function topologicalOrder(graph: Graph, index: GraphIndex = indexGraph(graph)): TopoResult {
  const n = graph.nodes.length;
  const pending = new Int32Array(n);
  graph.nodes.forEach((node, i) => {
    for (const inp of node.inputs) if (inp && index.producer.has(inp)) pending[i]! += 1;
  });
  // A min-heap keyed by node index keeps the result stable.
  const heap: number[] = [];
  const push = (v: number) => {
    heap.push(v);
    let c = heap.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (heap[p]! <= v) break;
      heap[c] = heap[p]!;
      c = p;
    }
    heap[c] = v;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const m = r < heap.length && heap[r]! < heap[l]! ? r : l;
        if (heap[m]! >= last) break;
        heap[c] = heap[m]!;
        c = m;
      }
      heap[c] = last;
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (pending[i] === 0) push(i);
  const order: number[] = [];
  const done = new Uint8Array(n);
  while (heap.length > 0) {
    const i = pop();
    order.push(i);
    done[i] = 1;
    for (const out of graph.nodes[i]!.outputs) {
      if (!out || index.producer.get(out) !== i) continue;
      for (const c of index.consumers.get(out) ?? []) {
        pending[c]! -= 1;
        if (pending[c] === 0) push(c);
      }
    }
  }
  const cyclic: number[] = [];
  for (let i = 0; i < n; i++) if (!done[i]) cyclic.push(i);
  return { order, cyclic };
}
