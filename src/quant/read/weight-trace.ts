import { getInt } from '../../onnx/ir/attributes.js';
import { DataType, dtypeInfo, dtypeName, isFloatType } from '../../onnx/ir/dtypes.js';
import type { Graph, Node } from '../../onnx/ir/graph.js';
import { producerOf, type GraphIndex } from '../../onnx/ir/graph-index.js';
import { elementCount, toFloat32, toIntegers, type Tensor } from '../../onnx/ir/tensor.js';
import { E4M3_CODE_MAX, E4M3_CODE_MIN } from '../weights/e4m3.js';
import { blockScalesOf, type BlockScalesField } from '../weights/two-level.js';

/**
 * Follows a weight input back to its stored tensor and reads how it is quantized, whatever tool wrote it:
 *   float initializer (FP32/FP16/BF16)                          → float, no quantization
 *   int initializer → DequantizeLinear                          → QDQ (bits from the stored values' range)
 *   int initializer → Clip[lo,hi] → DequantizeLinear            → Brevitas QCDQ (bits from the Clip range)
 *   float → QuantizeLinear → Clip → DequantizeLinear            → Brevitas QCDQ, quantized at run time
 *   INT4/UINT4 initializer → DequantizeLinear [→ Reshape]       → native INT4 (per-axis or blocked)
 * Identity, Cast, Reshape, Transpose and Flatten between the pieces are looked through.
 */

export type Granularity =
  | { kind: 'none' }
  | { kind: 'per-tensor' }
  | { kind: 'per-channel'; axis: number }
  | { kind: 'blocked'; axis: number; blockSize: number };

export type WeightFormat = 'float' | 'qdq' | 'qcdq' | 'quantize-at-runtime' | 'int4' | 'integer';

export interface ScaleStats {
  count: number;
  min: number;
  max: number;
  /** Geometric mean: scales span orders of magnitude. */
  geomean: number;
}

export interface WeightTrace {
  /** The stored tensor. */
  source: Tensor;
  format: WeightFormat;
  /** Bits per stored element. */
  storageBits: number;
  /** Bits the graph says it uses (Clip range, or the storage type's width). */
  declaredBits: number;
  /** Bits the stored integer values actually need (≤ declaredBits); equals declaredBits for float weights. */
  effectiveBits: number;
  granularity: Granularity;
  scales?: ScaleStats;
  /** The weight DequantizeLinear has a constant zero point with a non-zero entry (asymmetric weights). */
  asymmetric?: boolean;
  /** Op types from the stored tensor to the consumer, e.g. ["Clip", "DequantizeLinear"]. */
  chain: string[];
  /** Graph indices of those nodes, aligned with `chain`. */
  nodes: number[];
  /** Graph index of the weight DequantizeLinear, of the QuantizeLinear that quantizes at run time, and the Clip range. */
  dq?: number;
  quantize?: number;
  clip?: [number, number];
}

/** The op types and graph indices of a chain being walked (consumer side first: walking up prepends). */
interface Walk {
  chain: string[];
  nodes: number[];
}

function prepend(walk: Walk, graph: Graph, i: number): void {
  walk.chain.unshift(graph.nodes[i]!.opType);
  walk.nodes.unshift(i);
}

const PASS_THROUGH = new Set(['Identity', 'Cast', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze']);

/**
 * A weight DequantizeLinear's scale: a float constant, or two-level block scales — a DequantizeLinear (zero point 0)
 * of uint8 codes [rows, blocks] against float32 row scales (axis 0), or of FP8 E4M3 codes against one float32 scale
 * — evaluated exactly as that node computes them, with the codes and second-level scales for a plan's `blockScales`.
 */
export function weightScaleOf(
  graph: Graph,
  index: GraphIndex,
  name: string,
): { tensor: Tensor; blockScales?: BlockScalesField } | undefined {
  const c = constantOf(graph, index, name);
  if (c) return { tensor: c };
  const dq = producerOf(graph, index, name);
  if (dq?.opType !== 'DequantizeLinear' || dq.inputs[2]) return undefined;
  const codes = constantOf(graph, index, dq.inputs[0] ?? '');
  const second = constantOf(graph, index, dq.inputs[1] ?? '');
  if (codes?.dims.length !== 2 || second?.dtype !== DataType.FLOAT) return undefined;
  const rows = codes.dims[0]!;
  const n = elementCount(second.dims);
  let blockScales: BlockScalesField;
  if (codes.dtype === DataType.UINT8) {
    const axis = getInt(dq, 'axis', 1);
    if ((axis !== 0 && axis !== -2) || n !== rows) return undefined;
    blockScales = { codes: Array.from(toIntegers(codes), Number), rowScales: Array.from(toFloat32(second)) };
  } else if (codes.dtype === DataType.FLOAT8E4M3FN) {
    const bytes = Array.from(codes.data.subarray(0, elementCount(codes.dims)));
    // Only positive, finite, non-zero codes are block scales a plan can hold.
    if (n !== 1 || bytes.some((b) => b < E4M3_CODE_MIN || b > E4M3_CODE_MAX)) return undefined;
    blockScales = { codes: bytes, rowScales: Array.from(toFloat32(second)), codeType: 'e4m3' };
  } else return undefined;
  const values = blockScalesOf(blockScales, codes.dims[1]!);
  const tensor: Tensor = { ...second, name, dims: [...codes.dims], data: new Uint8Array(values.buffer) };
  return { tensor, blockScales };
}

/** A constant tensor behind `name`: an initializer or a Constant node's `value`. */
export function constantOf(graph: Graph, index: GraphIndex, name: string): Tensor | undefined {
  const init = index.initializers.get(name);
  if (init) return init;
  const node = producerOf(graph, index, name);
  if (node?.opType !== 'Constant') return undefined;
  const attr = node.attributes.find((a) => a.name === 'value');
  return attr?.value.kind === 'tensor' ? attr.value.value : undefined;
}

/**
 * The constant behind `name` looking through Identity nodes: PyTorch's exporter stores equal initializers once and
 * feeds the other readers through an Identity (the all-zero biases of a freshly initialised model arrive that way).
 */
export function constantThroughIdentity(graph: Graph, index: GraphIndex, name: string): Tensor | undefined {
  let v = name;
  // At most one step per node: a malformed file with an Identity cycle ends here instead of looping.
  for (let steps = 0, p = producerOf(graph, index, v); p?.opType === 'Identity' && p.inputs[0]; p = producerOf(graph, index, v)) {
    if (++steps > graph.nodes.length) return undefined;
    v = p.inputs[0];
  }
  return constantOf(graph, index, v);
}

/** Bits needed to hold integers in [lo, hi]: signed ranges count both sides, e.g. [-7, 7] and [-8, 7] → 4. */
export function bitsForRange(lo: number, hi: number): number {
  if (lo >= 0) return Math.max(1, Math.ceil(Math.log2(hi + 1)));
  const mag = Math.max(-lo, hi + 1);
  return Math.max(1, Math.ceil(Math.log2(mag)) + 1);
}

function valueRangeBits(t: Tensor): number | undefined {
  const info = dtypeInfo(t.dtype);
  if (!info || (info.kind !== 'int' && info.kind !== 'uint') || info.bits > 32) return undefined;
  const v = toIntegers(t);
  if (v.length === 0) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return bitsForRange(lo, hi);
}

function scaleStats(t: Tensor | undefined): ScaleStats | undefined {
  if (!t || !isFloatType(t.dtype)) return undefined;
  const s = toFloat32(t);
  if (s.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let logSum = 0;
  for (const x of s) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    logSum += Math.log(Math.abs(x) || Number.MIN_VALUE);
  }
  return { count: s.length, min, max, geomean: Math.exp(logSum / s.length) };
}

function granularityOf(dq: Node, x: Tensor | undefined, scale: Tensor | undefined): Granularity {
  if (!scale) return { kind: 'per-tensor' };
  const rank = x?.dims.length ?? 0;
  const blockSize = getInt(dq, 'block_size', 0);
  let axis = getInt(dq, 'axis', 1);
  if (axis < 0) axis += rank;
  if (blockSize > 0) return { kind: 'blocked', axis, blockSize };
  return elementCount(scale.dims) <= 1 ? { kind: 'per-tensor' } : { kind: 'per-channel', axis };
}

function clipRange(graph: Graph, index: GraphIndex, clip: Node): [number, number] | undefined {
  const read = (name: string | undefined) => {
    if (!name) return undefined;
    const t = constantOf(graph, index, name);
    return t && elementCount(t.dims) === 1 ? toFloat32(t)[0] : undefined;
  };
  const lo = read(clip.inputs[1]) ?? (clip.attributes.find((a) => a.name === 'min')?.value as { value?: number } | undefined)?.value;
  const hi = read(clip.inputs[2]) ?? (clip.attributes.find((a) => a.name === 'max')?.value as { value?: number } | undefined)?.value;
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/** Walk up through pass-through ops; returns the first other producer (or the constant) and the ops passed. */
function walkUp(graph: Graph, index: GraphIndex, name: string, walk: Walk): { name: string; node?: Node; at?: number } {
  let cur = name;
  for (let guard = 0; guard < 64; guard++) {
    const at = index.producer.get(cur);
    const node = at === undefined ? undefined : graph.nodes[at];
    if (!node || !PASS_THROUGH.has(node.opType) || !node.inputs[0]) return node ? { name: cur, node, at } : { name: cur };
    prepend(walk, graph, at!);
    cur = node.inputs[0];
  }
  return { name: cur };
}

/** Trace the weight feeding a consumer input; undefined when it is not a constant (an activation). */
export function traceWeight(graph: Graph, index: GraphIndex, input: string): WeightTrace | undefined {
  const walk: Walk = { chain: [], nodes: [] };
  const top = walkUp(graph, index, input, walk);
  const direct = constantOf(graph, index, top.name);
  if (direct) return plainWeight(direct, walk);
  if (top.node?.opType !== 'DequantizeLinear') return undefined;
  return traceDequantize(graph, index, top.at!, walk);
}

function plainWeight(t: Tensor, { chain, nodes }: Walk): WeightTrace | undefined {
  const info = dtypeInfo(t.dtype);
  if (!info || info.bits === 0) return undefined;
  const float = info.kind === 'float';
  const bits = float ? info.bits : (valueRangeBits(t) ?? info.bits);
  return {
    source: t,
    format: float ? 'float' : 'integer',
    storageBits: info.bits,
    declaredBits: info.bits,
    effectiveBits: bits,
    granularity: { kind: 'none' },
    chain,
    nodes,
  };
}

/** An integer tensor with a non-zero entry; false for anything else (a malformed zero point is check's to report). */
function hasNonZeroIntegers(t: Tensor): boolean {
  const info = dtypeInfo(t.dtype);
  if (!info || (info.kind !== 'int' && info.kind !== 'uint') || info.bits > 32) return false;
  try {
    return Array.from(toIntegers(t)).some((z) => z !== 0);
  } catch {
    return false;
  }
}

function traceDequantize(graph: Graph, index: GraphIndex, dqAt: number, walk: Walk): WeightTrace | undefined {
  const dq = graph.nodes[dqAt]!;
  prepend(walk, graph, dqAt);
  const scale = dq.inputs[1] ? weightScaleOf(graph, index, dq.inputs[1])?.tensor : undefined;
  const x = walkUp(graph, index, dq.inputs[0] ?? '', walk);
  let clip: [number, number] | undefined;
  let stored = constantOf(graph, index, x.name);
  let quantize: number | undefined;
  let cur = x;
  if (!stored && cur.node?.opType === 'Clip') {
    prepend(walk, graph, cur.at!);
    clip = clipRange(graph, index, cur.node);
    cur = walkUp(graph, index, cur.node.inputs[0] ?? '', walk);
    stored = constantOf(graph, index, cur.name);
  }
  if (!stored && cur.node?.opType === 'QuantizeLinear') {
    prepend(walk, graph, cur.at!);
    quantize = cur.at;
    stored = constantOf(graph, index, walkUp(graph, index, cur.node.inputs[0] ?? '', walk).name);
  }
  if (!stored) return undefined;
  const info = dtypeInfo(stored.dtype);
  if (!info || info.bits === 0) return undefined;
  const runtimeQuant = quantize !== undefined;
  // A QuantizeLinear's width is its zero point's type, uint8 when absent.
  const zpName = runtimeQuant ? (cur.node!.inputs[2] ?? '') : (dq.inputs[2] ?? '');
  const zp = zpName ? constantOf(graph, index, zpName) : undefined;
  const intBits = runtimeQuant ? (zp ? (dtypeInfo(zp.dtype)?.bits ?? 8) : 8) : info.bits;
  const declaredBits = clip ? Math.min(intBits, bitsForRange(clip[0], clip[1])) : intBits;
  const observed = runtimeQuant ? undefined : valueRangeBits(stored);
  const format: WeightFormat = runtimeQuant
    ? 'quantize-at-runtime'
    : stored.dtype === DataType.INT4 || stored.dtype === DataType.UINT4
      ? 'int4'
      : clip
        ? 'qcdq'
        : 'qdq';
  return {
    source: stored,
    format,
    storageBits: info.bits,
    declaredBits,
    effectiveBits: Math.min(declaredBits, observed ?? declaredBits),
    granularity: granularityOf(dq, stored, scale),
    scales: scaleStats(scale),
    chain: walk.chain,
    nodes: walk.nodes,
    dq: dqAt,
    ...(quantize !== undefined ? { quantize } : {}),
    ...(clip ? { clip } : {}),
    ...(!runtimeQuant && zp && hasNonZeroIntegers(zp) ? { asymmetric: true } : {}),
  };
}

export function describeDtype(t: Tensor): string {
  return dtypeName(t.dtype);
}
