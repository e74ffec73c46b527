import { getInt, intAttr } from '../ir/attributes.js';
import { DataType, type DataTypeCode } from '../ir/dtypes.js';
import { defaultOpset, isDefaultDomain, type Attribute, type Graph, type Model, type Node, type ValueInfo } from '../ir/graph.js';
import { makeTensor, toFloat32, type Tensor } from '../ir/tensor.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Change the floating-point type a graph computes in, between FP32 and FP16, keeping the model's interface: graph
 * inputs and outputs keep their names and types, with a Cast inserted behind each input and in front of each
 * output whose type differs. Initializers, Constant tensors, Cast targets, ConstantOfShape values and declared
 * value types of the `from` type are converted. yoloq plans and calibrates on an FP32 working graph (so FP16
 * models such as yolov5n_fp16 work), and W4A16's GPU graph is the FP32 export converted back to FP16.
 * The pass returns a new model (the input is not modified), or the input itself with `modified: false` when the
 * conversion leaves every node, initializer and value_info as it was.
 */

export interface PrecisionOptions {
  from: typeof DataType.FLOAT | typeof DataType.FLOAT16;
  to: typeof DataType.FLOAT | typeof DataType.FLOAT16;
  /**
   * FP16 only: initializers that must stay FP32, e.g. DequantizeLinear scales below opset 19, which allows only
   * FP32 scales (their DequantizeLinear output is then cast to FP16).
   */
  keepFloat32?: ReadonlySet<string>;
  /**
   * Keep Constant-node tensors in their narrower type and Cast their output instead (exact, and folded by ORT
   * at load): an FP16 model's anchor grids then stay FP16 in the file rather than doubling in size.
   */
  castConstants?: boolean;
}

function convertTensor(t: Tensor, from: DataTypeCode, to: DataTypeCode): Tensor {
  if (t.dtype !== from) return t;
  const converted = makeTensor(t.name, to, t.dims, toFloat32(t));
  return t.docString === undefined ? converted : { ...converted, docString: t.docString };
}

function convertAttribute(a: Attribute, node: Node, from: DataTypeCode, to: DataTypeCode): Attribute {
  if (a.value.kind === 'tensor' && a.value.value.dtype === from)
    return { ...a, value: { kind: 'tensor', value: convertTensor(a.value.value, from, to) } };
  if (node.opType === 'Cast' && a.name === 'to' && getInt(node, 'to') === from) return intAttr('to', to);
  return a;
}

function convertValue(v: ValueInfo, from: DataTypeCode, to: DataTypeCode): ValueInfo {
  return v.type?.elemType === from ? { ...v, type: { ...v.type, elemType: to } } : v;
}

const TYPE_NAME: Readonly<Record<number, string>> = Object.freeze({ [DataType.FLOAT]: 'FP32', [DataType.FLOAT16]: 'FP16' });

export function floatPrecisionPass(options: PrecisionOptions): Pass {
  return {
    name: 'float-precision',
    description: `converts what the graph computes in ${TYPE_NAME[options.from]} to ${TYPE_NAME[options.to]}, keeping the model's interface`,
    // New Casts sit right after their producers and read no graph input by an initializer's name; value_info is not added.
    preserves: [PassProperty.TopologicallySorted, PassProperty.NoInitializerInputs],
    run(model) {
      const out = changeFloatPrecision(model, options);
      return sameContents(model.graph!, out.graph!) ? { model, modified: false } : { model: out, modified: true };
    },
  };
}

/** Whether `b` lists the same nodes (field by field), initializers, value_info, inputs and outputs as `a`, by identity. */
function sameContents(a: Graph, b: Graph): boolean {
  const sameList = (x: readonly unknown[], y: readonly unknown[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  const sameNode = (m: Node, n: Node) => {
    const keys = Object.keys(m) as (keyof Node)[];
    return (
      keys.length === Object.keys(n).length &&
      keys.every((k) => {
        const u = m[k];
        const v = n[k];
        return Array.isArray(u) && Array.isArray(v) ? sameList(u, v) : u === v;
      })
    );
  };
  return (
    a.nodes.length === b.nodes.length &&
    a.nodes.every((n, i) => sameNode(n, b.nodes[i]!)) &&
    sameList(a.initializers, b.initializers) &&
    sameList(a.valueInfo, b.valueInfo) &&
    sameList(a.inputs, b.inputs) &&
    sameList(a.outputs, b.outputs)
  );
}

function changeFloatPrecision(model: Model, options: PrecisionOptions): Model {
  const { from, to } = options;
  const g = model.graph!;
  const keep = options.keepFloat32 ?? new Set<string>();
  const names = new Set([...g.initializers.map((t) => t.name), ...g.inputs.map((v) => v.name), ...g.nodes.flatMap((n) => n.outputs)]);
  // Node names share the generator with value names (as they always have) and also avoid the graph's node names, so a
  // graph that went through this pass before (an FP16 export read back to FP32) gets no duplicate Cast names.
  const nodeNames = new Set(g.nodes.map((n) => n.name).filter((n): n is string => Boolean(n)));
  const fresh = (base: string) => {
    let n = base;
    for (let i = 1; names.has(n) || nodeNames.has(n); i++) n = `${base}_${i}`;
    names.add(n);
    return n;
  };
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    const keepConstant =
      options.castConstants &&
      n.opType === 'Constant' &&
      isDefaultDomain(n.domain) &&
      n.attributes.some((a) => a.name === 'value' && a.value.kind === 'tensor' && a.value.value.dtype === from);
    if (keepConstant) {
      const out = n.outputs[0]!;
      const inner = fresh(`${out}_${from === DataType.FLOAT16 ? 'fp16' : 'fp32'}`);
      nodes.push({ ...n, inputs: [], outputs: [inner] });
      nodes.push({
        opType: 'Cast',
        name: fresh(`${n.name ?? 'constant'}_cast`),
        inputs: [inner],
        outputs: [out],
        attributes: [intAttr('to', to)],
      });
      continue;
    }
    nodes.push({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attributes: isDefaultDomain(n.domain) ? n.attributes.map((a) => convertAttribute(a, n, from, to)) : n.attributes,
    });
  }
  const initializers = g.initializers.map((t) => (keep.has(t.name) ? t : convertTensor(t, from, to)));
  const prologue: Node[] = [];
  const rename = new Map<string, string>();
  for (const input of g.inputs) {
    if (input.type?.elemType !== from || initializers.some((t) => t.name === input.name)) continue;
    const inner = fresh(`${input.name}_${to === DataType.FLOAT ? 'fp32' : 'fp16'}`);
    rename.set(input.name, inner);
    prologue.push({
      opType: 'Cast',
      name: fresh(`${input.name}_cast`),
      inputs: [input.name],
      outputs: [inner],
      attributes: [intAttr('to', to)],
    });
  }
  for (const n of nodes) n.inputs = n.inputs.map((v) => rename.get(v) ?? v);
  const epilogue: Node[] = [];
  for (const output of g.outputs) {
    if (output.type?.elemType !== from) continue;
    const inner = fresh(`${output.name}_${to === DataType.FLOAT ? 'fp32' : 'fp16'}`);
    for (const n of nodes) {
      n.outputs = n.outputs.map((v) => (v === output.name ? inner : v));
      n.inputs = n.inputs.map((v) => (v === output.name ? inner : v));
    }
    epilogue.push({
      opType: 'Cast',
      name: fresh(`${output.name}_cast`),
      inputs: [inner],
      outputs: [output.name],
      attributes: [intAttr('to', from)],
    });
  }
  const guarded = to === DataType.FLOAT16 ? guardFloat32Inputs(nodes, fresh) : nodes;
  const graph: Graph = {
    ...g,
    nodes: [...prologue, ...castAfterKeptDequantize(guarded, keep, to, fresh), ...epilogue],
    initializers,
    valueInfo: g.valueInfo.map((v) => convertValue(v, from, to)),
  };
  return dropNoOpCasts({ ...model, graph });
}

/** Inputs that ONNX types as FP32 whatever the data type: op type → input slots. */
const FLOAT32_ONLY_INPUTS: Readonly<Record<string, readonly number[]>> = Object.freeze({ Resize: [2], Upsample: [1] });

/** In an FP16 graph, Cast what feeds an FP32-only input (Resize scales) back to FP32; ORT folds it for constants. */
function guardFloat32Inputs(nodes: Node[], fresh: (b: string) => string): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    for (const slot of (isDefaultDomain(n.domain) ? FLOAT32_ONLY_INPUTS[n.opType] : undefined) ?? []) {
      const v = n.inputs[slot];
      if (!v) continue;
      const cast = fresh(`${v}_fp32`);
      out.push({
        opType: 'Cast',
        name: fresh(`${n.name ?? n.opType}_scales_cast`),
        inputs: [v],
        outputs: [cast],
        attributes: [intAttr('to', DataType.FLOAT)],
      });
      n.inputs[slot] = cast;
    }
    out.push(n);
  }
  return out;
}

/** FP16 graphs whose DequantizeLinear keeps an FP32 scale: cast its output to FP16 for the consumers. */
function castAfterKeptDequantize(nodes: Node[], keep: ReadonlySet<string>, to: DataTypeCode, fresh: (b: string) => string): Node[] {
  if (to !== DataType.FLOAT16 || keep.size === 0) return nodes;
  const out: Node[] = [];
  for (const n of nodes) {
    out.push(n);
    if (n.opType !== 'DequantizeLinear' || !keep.has(n.inputs[1] ?? '')) continue;
    const orig = n.outputs[0]!;
    const inner = fresh(`${orig}_fp32`);
    n.outputs = [inner];
    out.push({
      opType: 'Cast',
      name: fresh(`${n.name ?? 'dequantize'}_to_fp16`),
      inputs: [inner],
      outputs: [orig],
      attributes: [intAttr('to', DataType.FLOAT16)],
    });
  }
  return out;
}

/** Remove Casts whose input already has the target type (graph inputs and initializers only: types known for sure). */
function dropNoOpCasts(model: Model): Model {
  const g = model.graph!;
  const known = new Map<string, number>([
    ...g.inputs.map((v) => [v.name, v.type?.elemType ?? -1] as const),
    ...g.initializers.map((t) => [t.name, t.dtype] as const),
  ]);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const rename = new Map<string, string>();
  const nodes = g.nodes.filter((n) => {
    const src = n.inputs[0] ?? '';
    if (n.opType !== 'Cast' || known.get(src) !== getInt(n, 'to') || outputs.has(n.outputs[0]!)) return true;
    rename.set(n.outputs[0]!, src);
    return false;
  });
  for (const n of nodes) n.inputs = n.inputs.map((v) => rename.get(v) ?? v);
  return { ...model, graph: { ...g, nodes } };
}

/** FP32 scales of DequantizeLinear nodes that must stay FP32 in an FP16 graph (opset < 19 allows no FP16 scale). */
export function scalesKeptFloat32(model: Model): Set<string> {
  if ((defaultOpset(model) ?? 0) >= 19) return new Set();
  return new Set(model.graph!.nodes.filter((n) => n.opType === 'DequantizeLinear').map((n) => n.inputs[1] ?? ''));
}
