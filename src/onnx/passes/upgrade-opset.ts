import { InputError } from '../../errors.js';
import { findAttr, getInt, getInts } from '../ir/attributes.js';
import { DataType } from '../ir/dtypes.js';
import { isDefaultDomain, nodeLabel, type Attribute, type Model, type Node } from '../ir/graph.js';
import { makeTensor } from '../ir/tensor.js';
import { ONNX_OP_VERSIONS } from '../ops/onnx-ops.generated.js';
import { inferShapes } from '../shape/index.js';
import type { Pass } from './pass.js';

/**
 * Raise a model's default-domain opset (quantized exports need 13, native INT4 needs 21) and rewrite the nodes
 * whose operator signature changed on the way: attributes that became inputs (Split/Squeeze/Unsqueeze at 13,
 * ReduceSum at 13, the other Reduce ops at 18, Clip at 11, Slice at 10) and Softmax-family ops, whose pre-13
 * "flatten to 2-D" semantics equal the new single-axis ones only on the last axis. Any other operator whose schema
 * changed in between and is not known to be compatible stops the upgrade with an InputError naming it, rather
 * than silently changing what the model computes.
 */

/** Ops whose schema changes between opset 7 and 21 only add types or optional attributes/inputs with old defaults. */
const COMPATIBLE = new Set([
  'Abs',
  'Add',
  'And',
  'ArgMax',
  'ArgMin',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Ceil',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Conv',
  'ConvTranspose',
  'CumSum',
  'DequantizeLinear',
  'Div',
  'Dropout',
  'Einsum',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'Flatten',
  'Floor',
  'Gather',
  'GatherElements',
  'GatherND',
  'Gemm',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Greater',
  'GreaterOrEqual',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'If',
  'InstanceNormalization',
  'LayerNormalization',
  'LeakyRelu',
  'Less',
  'LessOrEqual',
  'Log',
  'Loop',
  'MatMul',
  'Max',
  'MaxPool',
  'Mean',
  'Min',
  'Mish',
  'Mod',
  'Mul',
  'Neg',
  'NonMaxSuppression',
  'NonZero',
  'Not',
  'Or',
  'PRelu',
  'Pad',
  'Pow',
  'QuantizeLinear',
  'Range',
  'Reciprocal',
  'Relu',
  'Reshape',
  'Resize',
  'Round',
  'ScatterElements',
  'ScatterND',
  'Selu',
  'Shape',
  'Sigmoid',
  'Sign',
  'Size',
  'Slice',
  'Softplus',
  'Sqrt',
  'Sub',
  'Sum',
  'Tanh',
  'Tile',
  'TopK',
  'Transpose',
  'Trilu',
  'Where',
  'Xor',
]);

const REDUCE_AT_18 = new Set([
  'ReduceMax',
  'ReduceMin',
  'ReduceMean',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);
const SOFTMAX_LIKE = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

interface Ctx {
  model: Model;
  from: number;
  to: number;
  addInt64(base: string, values: number[]): string;
  addFloatScalar(base: string, value: number): string;
  rank(value: string): number | undefined;
}

function crosses(ctx: Ctx, version: number): boolean {
  return ctx.from < version && ctx.to >= version;
}

function without(node: Node, ...names: string[]): Attribute[] {
  return node.attributes.filter((a) => !names.includes(a.name));
}

/** Move an int-list attribute into an INT64 input at `slot` (padding skipped optional inputs with ""). */
function attrToInput(ctx: Ctx, node: Node, attr: string, slot: number): void {
  const values = getInts(node, attr);
  if (values === undefined) return;
  while (node.inputs.length < slot) node.inputs.push('');
  node.inputs[slot] = ctx.addInt64(`${node.name || node.opType}_${attr}`, values);
  node.attributes = without(node, attr);
}

function upgradeNode(ctx: Ctx, node: Node, label: string): void {
  const op = node.opType;
  // Each rewritten op's other schema changes only add types or optional inputs, so without the crossing it is compatible.
  if (op === 'Split' || op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') {
    if (crosses(ctx, 13)) attrToInput(ctx, node, op === 'Split' ? 'split' : 'axes', 1);
  } else if (REDUCE_AT_18.has(op)) {
    if (crosses(ctx, 18)) attrToInput(ctx, node, 'axes', 1);
  } else if (op === 'Clip' || op === 'Slice' || SOFTMAX_LIKE.has(op)) {
    upgradeMoved(ctx, node, label);
  } else if (!COMPATIBLE.has(op)) {
    const changes = (ONNX_OP_VERSIONS[op] ?? []).filter((v) => v > ctx.from && v <= ctx.to);
    if (changes.length > 0)
      throw new InputError(
        `cannot upgrade ${label} (${op}) from opset ${ctx.from} to ${ctx.to}: its schema changed at opset ${changes.join(', ')}`,
      );
  }
}

/** Clip (attributes → inputs at 11), Slice (at 10) and the Softmax family (semantics at 13). */
function upgradeMoved(ctx: Ctx, node: Node, label: string): void {
  const op = node.opType;
  if (op === 'Clip' && crosses(ctx, 11)) {
    const min = findAttr(node, 'min');
    const max = findAttr(node, 'max');
    const read = (a: Attribute | undefined) => (a?.value.kind === 'float' ? a.value.value : undefined);
    node.inputs = [
      node.inputs[0]!,
      read(min) === undefined ? '' : ctx.addFloatScalar(`${label}_min`, read(min)!),
      read(max) === undefined ? '' : ctx.addFloatScalar(`${label}_max`, read(max)!),
    ];
    while (node.inputs.at(-1) === '') node.inputs.pop();
    node.attributes = without(node, 'min', 'max');
  } else if (op === 'Slice' && crosses(ctx, 10)) {
    const starts = getInts(node, 'starts') ?? [];
    const ends = getInts(node, 'ends') ?? [];
    const axes = getInts(node, 'axes');
    node.inputs = [
      node.inputs[0]!,
      ctx.addInt64(`${label}_starts`, starts),
      ctx.addInt64(`${label}_ends`, ends),
      ...(axes ? [ctx.addInt64(`${label}_axes`, axes)] : []),
    ];
    node.attributes = without(node, 'starts', 'ends', 'axes');
  } else if (SOFTMAX_LIKE.has(op) && crosses(ctx, 13)) {
    const rank = ctx.rank(node.inputs[0] ?? '');
    let axis = getInt(node, 'axis', 1);
    if (rank === undefined) throw new InputError(`cannot upgrade ${label} (${op}) to opset ${ctx.to}: its input rank is unknown`);
    if (axis < 0) axis += rank;
    if (axis !== rank - 1)
      throw new InputError(
        `cannot upgrade ${label} (${op}, axis ${axis} of rank ${rank}) to opset ${ctx.to}: opset-13 semantics differ off the last axis`,
      );
  }
}

export interface UpgradeOpsetOptions {
  /** The default-domain opset the model must reach (13 for QDQ exports, 21 for native INT4). */
  opset: number;
}

/**
 * The pass: a new model at opset ≥ `options.opset` (the input is not modified); a model already there comes back
 * as is with `modified: false`. Throws an InputError naming the first node it cannot upgrade.
 */
export function upgradeOpsetPass(options: UpgradeOpsetOptions): Pass {
  return {
    name: 'upgrade-opset',
    description: `raises the default-domain opset to ${options.opset}, rewriting nodes whose signature changed on the way`,
    preserves: 'all',
    run(model) {
      const out = upgradeOpset(model, options.opset);
      return { model: out, modified: out !== model };
    },
  };
}

function upgradeOpset(model: Model, target: number): Model {
  const imp = model.opsetImports.find((o) => isDefaultDomain(o.domain));
  const from = imp?.version ?? target;
  if (from >= target) return model;
  const graph = model.graph!;
  const initializers = [...graph.initializers];
  const names = new Set([...initializers.map((t) => t.name), ...graph.nodes.flatMap((n) => n.outputs)]);
  const fresh = (base: string) => {
    let n = base;
    for (let i = 1; names.has(n); i++) n = `${base}_${i}`;
    names.add(n);
    return n;
  };
  let shapes: ReturnType<typeof inferShapes> | undefined;
  const ctx: Ctx = {
    model,
    from,
    to: target,
    addInt64: (base, values) => {
      const t = makeTensor(fresh(base), DataType.INT64, [values.length], values);
      initializers.push(t);
      return t.name;
    },
    addFloatScalar: (base, value) => {
      const t = makeTensor(fresh(base), DataType.FLOAT, [], [value]);
      initializers.push(t);
      return t.name;
    },
    rank: (v) => (shapes ??= inferShapes(model)).get(v)?.shape?.length,
  };
  const nodes = graph.nodes.map((n, i) => {
    if (!isDefaultDomain(n.domain)) return n;
    const copy: Node = { ...n, inputs: [...n.inputs], attributes: [...n.attributes] };
    upgradeNode(ctx, copy, nodeLabel(n, i));
    return copy;
  });
  // IR-3 models list initializers among the inputs; new constants need IR ≥ 4, which every opset ≥ 9 implies anyway.
  const irFor = target >= 21 ? 10 : target >= 19 ? 9 : target >= 15 ? 8 : 7;
  return {
    ...model,
    irVersion: Math.max(model.irVersion ?? 0, irFor),
    opsetImports: model.opsetImports.map((o) => (o === imp ? { ...o, version: target } : o)),
    graph: { ...graph, nodes, initializers },
  };
}
