import { defaultOpset, isDefaultDomain, type Graph, type Model, type Node, type ValueInfo } from '../ir/graph.js';
import { indexGraph, topologicalOrder } from '../ir/graph-index.js';
import type { Tensor } from '../ir/tensor.js';
import { constFromTensor } from './const-value.js';
import { constRules } from './const-rules.js';
import { info, mergeInfo } from './dims.js';
import { shapeRules } from './registry.js';
import type { ConstRule, ConstValue, RuleContext, ShapeInfo, ShapeMap, ShapeRule } from './types.js';

/**
 * Static shape and dtype propagation over the main graph.
 *
 * Seeds: graph inputs (their declared types), initializers (dtype and dims; their contents, when small, feed the
 * constant evaluator — also in IR-3 models where they double as overridable inputs), and, unless
 * `useDeclared: false`, the model's value_info and graph-output declarations, which fill in what a rule leaves
 * unknown. Nodes run in topological order (nodes on a cycle are skipped); each default-domain op has one rule in
 * `shapeRules`, and ops in `constRules` also compute their outputs' contents when all inputs are known.
 * Nothing throws for a bad node: its outputs stay unknown (absent, or taken from value_info). The model is not
 * modified.
 */

export interface InferOptions {
  /** Use value_info and graph-output declarations to fill gaps (default true). */
  useDeclared?: boolean;
  /** Largest tensor, in elements, the constant evaluator decodes or builds (default 4096). */
  maxConstElements?: number;
  /** Opset to assume when the model imports none for the default domain (default 21). */
  fallbackOpset?: number;
}

export interface InferenceResult {
  shapes: ShapeMap;
  /** Values whose contents were computed (or read from small initializers), by name. */
  constants: Map<string, ConstValue>;
}

/** Ops whose contents need only their input's type, not its contents. */
const TYPE_ONLY = new Set(['Shape', 'Size']);

/** Shape and dtype of every value that can be inferred: graph inputs, initializers and node outputs. */
export function inferShapes(model: Model, options: InferOptions = {}): ShapeMap {
  return inferShapesWithValues(model, options).shapes;
}

/** inferShapes, also returning the constant contents it computed along the way. */
export function inferShapesWithValues(model: Model, options: InferOptions = {}): InferenceResult {
  const shapes: ShapeMap = new Map();
  const constants = new Map<string, ConstValue>();
  const graph = model.graph;
  if (!graph) return { shapes, constants };
  const state = new InferenceState(graph, options, defaultOpset(model) ?? options.fallbackOpset ?? 21, shapes, constants);
  const { order } = topologicalOrder(graph, indexGraph(graph));
  for (const i of order) state.visit(graph.nodes[i]!);
  return { shapes, constants };
}

class InferenceState {
  private readonly declared = new Map<string, ShapeInfo>();
  private readonly initializers = new Map<string, Tensor>();
  /** Lazily decoded initializer contents; null: too large or not numeric. */
  private readonly decoded = new Map<string, ConstValue | null>();
  private readonly limit: number;

  constructor(
    graph: Graph,
    options: InferOptions,
    private readonly opset: number,
    private readonly shapes: ShapeMap,
    private readonly constants: Map<string, ConstValue>,
  ) {
    this.limit = options.maxConstElements ?? 4096;
    if (options.useDeclared !== false) {
      for (const v of [...graph.valueInfo, ...graph.outputs]) {
        if (v.type) this.declared.set(v.name, mergeInfo(info(v.type.elemType, v.type.shape), this.declared.get(v.name)));
      }
    }
    for (const v of graph.inputs) if (v.type) shapes.set(v.name, info(v.type.elemType, v.type.shape));
    for (const t of graph.initializers) {
      this.initializers.set(t.name, t);
      shapes.set(t.name, info(t.dtype, t.dims));
    }
  }

  private valueOf(name: string | undefined): ConstValue | undefined {
    if (!name) return undefined;
    const known = this.constants.get(name);
    if (known) return known;
    const t = this.initializers.get(name);
    if (!t) return undefined;
    let v = this.decoded.get(name);
    if (v === undefined) {
      v = constFromTensor(t, this.limit) ?? null;
      this.decoded.set(name, v);
    }
    return v ?? undefined;
  }

  private context(node: Node): RuleContext {
    let inputCount = node.inputs.length;
    while (inputCount > 0 && !node.inputs[inputCount - 1]) inputCount--;
    return {
      node,
      opset: this.opset,
      inputCount,
      input: (i) => {
        const name = node.inputs[i];
        return name ? this.shapes.get(name) : undefined;
      },
      value: (i) => this.valueOf(node.inputs[i]),
    };
  }

  /** Infer one node's outputs and record them. */
  visit(node: Node): void {
    const ctx = this.context(node);
    const rule: ShapeRule | undefined = isDefaultDomain(node.domain) ? shapeRules[node.opType] : undefined;
    const types = rule ? attempt(() => rule(ctx)) : undefined;
    const evaluator: ConstRule | undefined = isDefaultDomain(node.domain) ? constRules[node.opType] : undefined;
    let values: Array<ConstValue | undefined> | undefined;
    if (evaluator && (TYPE_ONLY.has(node.opType) || allInputsConstant(node, ctx))) {
      values = attempt(() => evaluator(ctx, types ?? [], this.limit));
    }
    node.outputs.forEach((name, k) => {
      if (!name) return;
      let t = types?.[k];
      const v = values?.[k];
      if (v && v.values.length <= this.limit) {
        this.constants.set(name, v);
        t = t ? mergeInfo(info(v.dtype, v.dims), t) : info(v.dtype, v.dims);
      }
      const declared = this.declared.get(name);
      const result = t ? mergeInfo(t, declared) : declared;
      if (result) this.shapes.set(name, result);
    });
  }
}

function allInputsConstant(node: Node, ctx: RuleContext): boolean {
  for (let i = 0; i < ctx.inputCount; i++) if (node.inputs[i] && !ctx.value(i)) return false;
  return true;
}

/** Run `f`, turning any exception (a malformed node) into undefined. */
function attempt<T>(f: () => T | undefined): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * ValueInfo entries for node outputs that have none yet (not a graph input, output, initializer or listed
 * value_info), in node order, from inferred types.
 */
export function missingValueInfo(model: Model, shapes: ShapeMap = inferShapes(model)): ValueInfo[] {
  const graph = model.graph;
  if (!graph) return [];
  const have = new Set<string>([
    ...graph.inputs.map((v) => v.name),
    ...graph.outputs.map((v) => v.name),
    ...graph.valueInfo.map((v) => v.name),
    ...graph.initializers.map((t) => t.name),
  ]);
  const added: ValueInfo[] = [];
  for (const node of graph.nodes) {
    for (const name of node.outputs) {
      const t = shapes.get(name);
      if (!name || !t || have.has(name)) continue;
      have.add(name);
      added.push({ name, type: info(t.elemType, t.shape) });
    }
  }
  return added;
}

/**
 * A new model whose graph (shallow-copied) lists inferred value_info for every intermediate value that lacked one.
 * Existing entries are kept as they are; the input model is not modified. Returns `model` itself when nothing is added.
 */
export function annotateShapes(model: Model, options: InferOptions = {}): Model {
  const added = missingValueInfo(model, inferShapes(model, options));
  if (added.length === 0 || !model.graph) return model;
  return { ...model, graph: { ...model.graph, valueInfo: [...model.graph.valueInfo, ...added] } };
}
