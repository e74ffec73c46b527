import { InputError } from '../errors.js';
import { getInt, intAttr } from '../onnx/ir/attributes.js';
import { DataType } from '../onnx/ir/dtypes.js';
import { mainGraph, nodeLabel, type Model, type Node } from '../onnx/ir/graph.js';
import { indexGraph, producerOf, type GraphIndex } from '../onnx/ir/graph-index.js';
import { elementCount, makeTensor, toFloat32, toIntegers, type Tensor } from '../onnx/ir/tensor.js';
import { upgradeOpset } from '../onnx/passes/upgrade-opset.js';
import { constantOf, traceWeight } from '../inspect/weight-trace.js';
import { roundHalfEven } from '../quant/rounding.js';
import { GraphEdit } from './graph-edit.js';

/**
 * Rewrite an existing QCDQ or QDQ graph (ours, or Brevitas' export_onnx_qcdq) into native INT4: every weight
 * DequantizeLinear whose codes fit 4 bits reads a packed INT4 initializer instead of int8 → Clip (or float →
 * QuantizeLinear → Clip, quantized here exactly as ORT would), with the same scales and axis; 8-bit weights and
 * activation Q/DQ are left as they are. The dequantized weights are bit-identical.
 */

export interface ConvertOptions {
  /** Store per-channel (axis 0) 4-bit weights 2-D with blocked DequantizeLinear, as ORT's CUDA EP requires. */
  cudaLayout?: boolean;
}

export interface ConvertResult {
  model: Model;
  converted: string[];
  /** Weight DequantizeLinear nodes left as they were, and why. */
  kept: Array<{ node: string; reason: string }>;
}

/** The integer codes a weight DequantizeLinear reads, computed from whatever produces them. */
function codesOf(graph: Model['graph'] & object, index: GraphIndex, dq: Node): { codes: Int8Array; source: Tensor } | undefined {
  let x = dq.inputs[0] ?? '';
  let node = producerOf(graph, index, x);
  let clip: [number, number] | undefined;
  if (node?.opType === 'Clip') {
    const lo = constantOf(graph, index, node.inputs[1] ?? '');
    const hi = constantOf(graph, index, node.inputs[2] ?? '');
    if (!lo || !hi) return undefined;
    clip = [toFloat32(lo)[0]!, toFloat32(hi)[0]!];
    x = node.inputs[0] ?? '';
    node = producerOf(graph, index, x);
  }
  let codes: Int8Array;
  let source: Tensor | undefined = constantOf(graph, index, x);
  if (source && (source.dtype === DataType.INT8 || source.dtype === DataType.INT4)) {
    codes = Int8Array.from(toIntegers(source));
  } else if (node?.opType === 'QuantizeLinear') {
    source = constantOf(graph, index, node.inputs[0] ?? '');
    const scale = constantOf(graph, index, node.inputs[1] ?? '');
    const zpT = node.inputs[2] ? constantOf(graph, index, node.inputs[2]) : undefined;
    if (!source || !scale || (zpT && zpT.dtype !== DataType.INT8)) return undefined;
    codes = quantizeLike(node, source, scale, zpT);
  } else return undefined;
  if (clip) codes = codes.map((c) => Math.min(clip![1], Math.max(clip![0], c)));
  return { codes, source };
}

/** QuantizeLinear of a constant, as ORT computes it (float32 division, round half to even, saturate to int8). */
function quantizeLike(q: Node, x: Tensor, scale: Tensor, zp: Tensor | undefined): Int8Array {
  const xs = toFloat32(x);
  const s = toFloat32(scale);
  const z = zp ? toIntegers(zp) : undefined;
  let axis = getInt(q, 'axis', 1);
  if (axis < 0) axis += x.dims.length;
  const inner = s.length === 1 ? xs.length : x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Int8Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const c = s.length === 1 ? 0 : Math.floor(i / inner) % s.length;
    const v = roundHalfEven(Math.fround(xs[i]! / s[c]!)) + (z ? z[c]! : 0);
    out[i] = Math.max(-128, Math.min(127, v));
  }
  return out;
}

export function convertToInt4(source: Model, options: ConvertOptions = {}): ConvertResult {
  const model = upgradeOpset(source, 21);
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const edit = new GraphEdit(model);
  const converted: string[] = [];
  const kept: Array<{ node: string; reason: string }> = [];
  graph.nodes.forEach((node, i) => {
    if (node.opType !== 'Conv' && node.opType !== 'ConvTranspose' && node.opType !== 'Gemm' && node.opType !== 'MatMul') return;
    const trace = traceWeight(graph, index, node.inputs[1] ?? '');
    if (!trace || trace.format === 'float' || trace.format === 'integer' || trace.format === 'int4') return;
    const dqName = trace.chain.includes('DequantizeLinear') ? findDq(graph, index, node.inputs[1]!) : undefined;
    const dq = dqName === undefined ? undefined : graph.nodes[dqName];
    const label = dq ? nodeLabel(dq, dqName!) : nodeLabel(node, i);
    if (!dq) return void kept.push({ node: label, reason: 'no DequantizeLinear found' });
    if (trace.effectiveBits > 4) return void kept.push({ node: label, reason: `${trace.effectiveBits}-bit weight` });
    const got = codesOf(graph, index, dq);
    const zp = dq.inputs[2] ? constantOf(graph, index, dq.inputs[2]) : undefined;
    if (!got) return void kept.push({ node: label, reason: 'codes are not constant' });
    if (zp && toIntegers(zp).some((z) => z < -8 || z > 7)) return void kept.push({ node: label, reason: 'zero point outside the INT4 range' });
    const edited = edit.graph.nodes[dqName!]!;
    rewriteDequantize(edit, edited, got.codes, got.source, zp, options.cudaLayout ?? false);
    converted.push(label);
  });
  if (converted.length === 0) throw new InputError('nothing to convert: no weight DequantizeLinear with codes that fit 4 bits (see: yoloq inspect)');
  return { model: edit.finish(), converted, kept };
}

function findDq(graph: Model['graph'] & object, index: GraphIndex, value: string): number | undefined {
  let v = value;
  for (let guard = 0; guard < 16; guard++) {
    const p = index.producer.get(v);
    if (p === undefined) return undefined;
    const n = graph.nodes[p]!;
    if (n.opType === 'DequantizeLinear') return p;
    if (!['Identity', 'Reshape', 'Transpose', 'Cast', 'Flatten'].includes(n.opType)) return undefined;
    v = n.inputs[0] ?? '';
  }
  return undefined;
}

function rewriteDequantize(edit: GraphEdit, dq: Node, codes: Int8Array, source: Tensor, zp: Tensor | undefined, cudaLayout: boolean): void {
  const dims = source.dims;
  const axis = getInt(dq, 'axis', 1);
  const block = getInt(dq, 'block_size', 0);
  const scaleName = dq.inputs[1]!;
  const perRow = cudaLayout && block === 0 && (axis === 0 || axis === -dims.length) && dims.length >= 2;
  if (!perRow) {
    const q = edit.addInitializer(makeTensor(edit.fresh(`${source.name}_int4`), DataType.INT4, dims, codes));
    const zps = zp ? [edit.addInitializer(makeTensor(edit.fresh(`${zp.name}_int4`), DataType.INT4, zp.dims, toIntegers(zp)))] : [];
    dq.inputs = [q, scaleName, ...zps];
    return;
  }
  const rows = dims[0]!;
  const k = elementCount(dims) / rows;
  const scale = edit.graph.initializers.find((t) => t.name === scaleName);
  if (!scale) throw new InputError(`${dq.name ?? 'DequantizeLinear'}: its scale is not an initializer`);
  const s = toFloat32(scale);
  const rowScales = s.length === 1 ? new Float32Array(rows).fill(s[0]!) : s;
  const q = edit.addInitializer(makeTensor(edit.fresh(`${source.name}_int4`), DataType.INT4, [rows, k], codes));
  const sc = edit.addInitializer(makeTensor(edit.fresh(`${scaleName}_rows`), DataType.FLOAT, [rows, 1], rowScales));
  // Zero points take the scales' [rows, 1] shape; all-zero ones are dropped (DequantizeLinear's default).
  const z = zp ? toIntegers(zp) : undefined;
  const zps = z && z.some((v) => v !== 0)
    ? [edit.addInitializer(makeTensor(edit.fresh(`${zp!.name}_rows`), DataType.INT4, [rows, 1], z.length === 1 ? new Array(rows).fill(z[0]) : z))]
    : [];
  const out = dq.outputs[0]!;
  const flat = edit.fresh(`${out}_2d`);
  dq.inputs = [q, sc, ...zps];
  dq.outputs = [flat];
  dq.attributes = [intAttr('axis', 1), intAttr('block_size', k)];
  const shape = edit.addInitializer(makeTensor(edit.fresh(`${source.name}_shape`), DataType.INT64, [dims.length], dims));
  edit.addNode({ opType: 'Reshape', name: `${dq.name ?? 'dequantize'}_reshape`, inputs: [flat, shape], attributes: [], outputs: [out] });
}
