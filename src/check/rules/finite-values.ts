import { describeNonFinite, nonFiniteCount } from '../../onnx/ir/finite.js';
import { isDefaultDomain, nodeLabel, type Graph } from '../../onnx/ir/graph.js';
import type { GraphIndex } from '../../onnx/ir/graph-index.js';
import type { FindingSink } from '../finding.js';

/** Ops whose constant inputs past the first are weights or biases: a non-finite value there poisons every output. */
const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * NaN and ±Inf in constants. ONNX Runtime loads such a model and runs it, producing NaN boxes; quantizing it turns
 * the values into NaN scales. A NaN anywhere, and any non-finite value in a weight or bias of a Conv, ConvTranspose,
 * Gemm or MatMul, is an error naming the nodes that read it; ±Inf elsewhere is a warning (some graphs use −Inf on
 * purpose, as a mask or a Clip bound).
 */
export function checkFiniteValues(graph: Graph, index: GraphIndex, report: FindingSink): void {
  for (const t of graph.initializers) {
    const c = nonFiniteCount(t);
    if (!c) continue;
    const readers = index.consumers.get(t.name) ?? [];
    const asWeight = readers.some((i) => {
      const n = graph.nodes[i]!;
      return isDefaultDomain(n.domain) && WEIGHT_OPS.has(n.opType) && n.inputs.indexOf(t.name) >= 1;
    });
    const labels = [...new Set(readers)].map((i) => nodeLabel(graph.nodes[i]!, i));
    const first = labels[0];
    report({
      severity: c.nan > 0 || asWeight ? 'error' : 'warning',
      rule: 'non-finite-value',
      ...(first ? { node: first } : {}),
      message: `initializer "${t.name}" holds ${describeNonFinite(c)} value${c.nan + c.posInf + c.negInf > 1 ? 's' : ''}${
        labels.length ? ` (read by ${labels.join(', ')})` : ''
      }`,
    });
  }
  graph.nodes.forEach((node, i) => {
    if (node.opType !== 'Constant' || !isDefaultDomain(node.domain)) return;
    for (const a of node.attributes) {
      if (a.value.kind !== 'tensor') continue;
      const c = nonFiniteCount(a.value.value);
      if (!c) continue;
      report({
        severity: c.nan > 0 ? 'error' : 'warning',
        rule: 'non-finite-value',
        node: nodeLabel(node, i),
        message: `Constant value holds ${describeNonFinite(c)}`,
      });
    }
  });
}
