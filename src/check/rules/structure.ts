import type { Graph } from '../../onnx/ir/graph.js';
import { nodeLabel } from '../../onnx/ir/graph.js';
import { topologicalOrder, type GraphIndex } from '../../onnx/ir/graph-index.js';
import { assertTensorSize } from '../../onnx/ir/tensor.js';
import { dtypeInfo } from '../../onnx/ir/dtypes.js';
import { oneLine } from '../../errors.js';
import type { FindingSink } from '../finding.js';

/**
 * Graph structure: every value defined once, every input defined, no cycles, outputs produced, initializers whose
 * bytes match their declared type and shape. `outer` holds names visible from an enclosing graph (subgraphs).
 */
export function checkStructure(graph: Graph, index: GraphIndex, outer: ReadonlySet<string>, report: FindingSink): void {
  const defined = new Map<string, string>();
  const define = (name: string, by: string, node?: string) => {
    if (!name) return;
    const prev = defined.get(name);
    if (prev !== undefined) {
      report({
        severity: 'error',
        rule: 'duplicate-name',
        ...(node ? { node } : {}),
        message: `value "${name}" is defined by ${prev} and again by ${by}`,
      });
    } else defined.set(name, by);
  };
  const initNames = new Set<string>();
  for (const t of graph.initializers) {
    if (initNames.has(t.name)) report({ severity: 'error', rule: 'duplicate-name', message: `initializer "${t.name}" appears twice` });
    initNames.add(t.name);
    checkTensor(t, report);
  }
  for (const v of graph.inputs) define(v.name, 'a graph input');
  for (const t of graph.initializers) if (!graph.inputs.some((v) => v.name === t.name)) define(t.name, 'an initializer');
  const nodeNames = new Set<string>();
  graph.nodes.forEach((node, i) => {
    const label = nodeLabel(node, i);
    if (!node.opType) report({ severity: 'error', rule: 'empty-op-type', node: label, message: 'node has no op_type' });
    if (node.name) {
      if (nodeNames.has(node.name))
        report({
          severity: 'warning',
          rule: 'duplicate-node-name',
          node: label,
          message: `node name "${node.name}" is used by more than one node`,
        });
      nodeNames.add(node.name);
    }
    for (const out of node.outputs) define(out, `node ${label}`, label);
  });
  graph.nodes.forEach((node, i) => {
    for (const inp of node.inputs) {
      if (inp && !defined.has(inp) && !outer.has(inp)) {
        report({
          severity: 'error',
          rule: 'dangling-input',
          node: nodeLabel(node, i),
          message: `input "${inp}" is not produced by any node, initializer or graph input`,
        });
      }
    }
  });
  for (const v of graph.outputs) {
    if (!defined.has(v.name) && !outer.has(v.name))
      report({ severity: 'error', rule: 'dangling-output', message: `graph output "${v.name}" is never produced` });
  }
  const { cyclic } = topologicalOrder(graph, index);
  if (cyclic.length > 0) {
    const names = cyclic.slice(0, 5).map((i) => nodeLabel(graph.nodes[i]!, i));
    report({
      severity: 'error',
      rule: 'cycle',
      node: names[0]!,
      message: `${cyclic.length} node(s) form or depend on a cycle: ${names.join(', ')}${cyclic.length > 5 ? ', …' : ''}`,
    });
  }
}

function checkTensor(t: Graph['initializers'][number], report: FindingSink): void {
  if (!dtypeInfo(t.dtype) || t.dtype === 0) {
    report({ severity: 'error', rule: 'bad-dtype', message: `initializer "${t.name}" has undefined data type ${t.dtype}` });
    return;
  }
  if (t.dims.some((d) => !Number.isInteger(d) || d < 0)) {
    report({ severity: 'error', rule: 'bad-shape', message: `initializer "${t.name}" has invalid dims ${JSON.stringify(t.dims)}` });
    return;
  }
  try {
    assertTensorSize(t);
  } catch (e) {
    report({ severity: 'error', rule: 'tensor-size', message: oneLine(e) });
  }
}
