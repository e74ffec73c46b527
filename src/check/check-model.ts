import type { DataTypeCode } from '../onnx/ir/dtypes.js';
import { defaultOpset, mainGraph, type Graph, type Model } from '../onnx/ir/graph.js';
import { indexGraph } from '../onnx/ir/graph-index.js';
import type { Finding } from './finding.js';
import { checkGraphOpsets, checkModelOpsets } from './rules/opsets.js';
import { checkQuantization } from './rules/quantization.js';
import { checkFixedInputTypes } from './rules/input-types.js';
import { checkFiniteValues } from './rules/finite-values.js';
import { checkStructure } from './rules/structure.js';
import { checkTarget, type RuntimeName } from './rules/targets.js';
import { valueTypes } from './value-types.js';

export interface CheckResult {
  errors: number;
  warnings: number;
  findings: Finding[];
}

function checkGraph(
  model: Model,
  graph: Graph,
  outer: ReadonlyMap<string, DataTypeCode>,
  outerNames: ReadonlySet<string>,
  out: Finding[],
): void {
  const index = indexGraph(graph);
  const sink = (f: Finding) => out.push(f);
  checkStructure(graph, index, outerNames, sink);
  checkGraphOpsets(model, graph, sink);
  const types = valueTypes(graph, index, outer);
  checkQuantization(graph, index, types, defaultOpset(model) ?? 0, sink);
  checkFixedInputTypes(graph, types, sink);
  checkFiniteValues(graph, index, sink);
  // Subgraphs (If/Loop/Scan bodies) see every name of the enclosing scopes.
  const names = new Set(outerNames);
  for (const v of graph.inputs) names.add(v.name);
  for (const t of graph.initializers) names.add(t.name);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) names.add(o);
  for (const node of graph.nodes) {
    for (const a of node.attributes) {
      const subs = a.value.kind === 'graph' ? [a.value.value] : a.value.kind === 'graphs' ? a.value.value : [];
      for (const g of subs) checkGraph(model, g, types, names, out);
    }
  }
}

export interface CheckOptions {
  /** Also what this runtime refuses or runs slowly (src/check/rules/targets.ts). */
  target?: RuntimeName;
}

/** Everything ONNX Runtime would reject at load time that we can see statically, each finding naming its node. */
export function checkModel(model: Model, options: CheckOptions = {}): CheckResult {
  const findings: Finding[] = [];
  checkModelOpsets(model, (f) => findings.push(f));
  checkGraph(model, mainGraph(model), new Map(), new Set(), findings);
  if (options.target) {
    const graph = mainGraph(model);
    const index = indexGraph(graph);
    checkTarget(options.target, graph, index, valueTypes(graph, index, new Map()), (f) => findings.push(f));
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { errors, warnings: findings.length - errors, findings };
}
