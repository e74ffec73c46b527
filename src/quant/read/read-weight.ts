import { getInt } from '../../onnx/ir/attributes.js';
import { DataType, dtypeName, intRange, isFloatType, type DataTypeCode } from '../../onnx/ir/dtypes.js';
import { isDefaultDomain, type Graph, type Node } from '../../onnx/ir/graph.js';
import type { GraphIndex } from '../../onnx/ir/graph-index.js';
import { elementCount, toFloat32, toIntegers, type Tensor } from '../../onnx/ir/tensor.js';
import type { WeightDecision, WeightGranularity } from '../plan.js';
import { roundHalfEven } from '../rounding.js';
import { dequantizeCodes } from '../weights/codes.js';
import { scaleLayout } from '../weights/layout.js';
import { constantOf, traceWeight, weightScaleOf, type WeightTrace } from './weight-trace.js';

/**
 * Reads one weight's quantizer chain (found by weight-trace.ts) as a plan decision: bits, narrow range, granularity,
 * scales, zero points and the integer codes, plus the exact float32 values the chain dequantizes to. Chains the
 * plan cannot hold (a Transpose or FP16 Cast after the DequantizeLinear, 16-bit codes, per-axis scales a Reshape
 * scrambles, ...) come back with the reason instead. `yoloq inspect` and `readPlan` both read weights here.
 */

/** Which input of each op holds the weight. MatMul and Gemm may take their constant on either side. */
export const WEIGHT_INPUTS: Readonly<Record<string, readonly number[]>> = Object.freeze({
  Conv: [1],
  ConvTranspose: [1],
  Gemm: [1, 0],
  MatMul: [1, 0],
});

/** A plan decision read from a graph, before the float graph gives its node a label. */
export type ReadDecision = Omit<WeightDecision, 'node'>;

export interface WeightReading {
  /** Graph index of the consuming node, and its input slot that reads the weight. */
  nodeIndex: number;
  input: number;
  trace: WeightTrace;
  /** The decision and the float32 values it dequantizes to (row-major in `decision.shape`), when representable. */
  read?: { decision: ReadDecision; values: Float32Array };
  /** Why a quantized chain stays as it is (undefined for float weights and representable chains). */
  kept?: string;
}

/** Every Conv / ConvTranspose / Gemm / MatMul weight of the graph that traces to a constant, in node order. */
export function readWeights(graph: Graph, index: GraphIndex): WeightReading[] {
  const out: WeightReading[] = [];
  graph.nodes.forEach((node, i) => {
    const slots = WEIGHT_INPUTS[node.opType];
    if (!slots || !isDefaultDomain(node.domain)) return;
    for (const slot of slots) {
      const input = node.inputs[slot];
      const trace = input ? traceWeight(graph, index, input) : undefined;
      if (!trace) continue;
      const reading: WeightReading = { nodeIndex: i, input: slot, trace };
      if (trace.dq !== undefined) {
        const r = readSafely(graph, index, node, slot, trace);
        if (typeof r === 'string') reading.kept = r;
        else reading.read = r;
      }
      out.push(reading);
      break;
    }
  });
  return out;
}

/** readChain, with a malformed chain (tensors that do not decode) reported as kept rather than thrown. */
function readSafely(graph: Graph, index: GraphIndex, node: Node, slot: number, trace: WeightTrace): ReturnType<typeof readChain> {
  try {
    return readChain(graph, index, node, slot, trace);
  } catch (e) {
    return `cannot be read (${e instanceof Error ? e.message : String(e)})`;
  }
}

const PRODUCT = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The chain from the DequantizeLinear to the consumer as a shape function; a reason when it is not a pure reshape. */
function shapeAfter(graph: Graph, index: GraphIndex, trace: WeightTrace, dims: number[]): number[] | string {
  let out = dims;
  for (const i of trace.nodes.slice(trace.nodes.indexOf(trace.dq!) + 1)) {
    const n = graph.nodes[i]!;
    if (n.opType === 'Identity') continue;
    if (n.opType === 'Cast' && getInt(n, 'to', 0) === DataType.FLOAT) continue;
    if (n.opType === 'Flatten') {
      let axis = getInt(n, 'axis', 1);
      if (axis < 0) axis += out.length;
      out = [PRODUCT(out.slice(0, axis)), PRODUCT(out.slice(axis))];
      continue;
    }
    const shape = n.opType === 'Reshape' && n.inputs[1] ? constantOf(graph, index, n.inputs[1]) : undefined;
    if (!shape) {
      const fp16 = n.opType === 'Cast' ? ' (an FP16 graph: read its FP32 twin, --act-dtype fp32)' : '';
      return `${n.opType} between the DequantizeLinear and the consumer${fp16}`;
    }
    out = reshaped(out, Array.from(toIntegers(shape), Number), getInt(n, 'allowzero', 0) === 1);
  }
  return out;
}

/** ONNX Reshape's output dims: 0 copies the input dim (unless allowzero), -1 takes what is left. */
function reshaped(dims: number[], shape: number[], allowZero: boolean): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowZero ? dims[i]! : d));
  const known = PRODUCT(out.filter((d) => d !== -1));
  return out.map((d) => (d === -1 ? PRODUCT(dims) / known : d));
}

/** The integer codes the DequantizeLinear reads, row-major in the stored dims, and their element type. */
function storedCodes(graph: Graph, index: GraphIndex, trace: WeightTrace): { codes: Int32Array; dtype: DataTypeCode } | string {
  let codes: Int32Array;
  let dtype: DataTypeCode;
  if (trace.quantize !== undefined) {
    const q = graph.nodes[trace.quantize]!;
    const scale = constantOf(graph, index, q.inputs[1] ?? '');
    const zp = q.inputs[2] ? constantOf(graph, index, q.inputs[2]) : undefined;
    if (!scale || !isFloatType(scale.dtype) || (q.inputs[2] && !zp)) return "the QuantizeLinear's scale or zero point is not constant";
    if (getInt(q, 'block_size', 0) > 0) return 'blocked QuantizeLinear of a weight';
    dtype = zp?.dtype ?? DataType.UINT8;
    if (!isFloatType(trace.source.dtype)) return `QuantizeLinear of a ${dtypeName(trace.source.dtype)} weight`;
    const range = intRange(dtype);
    if (!range) return `QuantizeLinear to ${dtypeName(dtype)}`;
    codes = quantizeLike(q, trace.source, toFloat32(scale), zp ? Array.from(toIntegers(zp), Number) : undefined, range);
  } else {
    dtype = trace.source.dtype;
    if (!intRange(dtype)) return `${dtypeName(dtype)} codes`;
    codes = Int32Array.from(toIntegers(trace.source), Number);
  }
  if (trace.clip) {
    const [lo, hi] = [Math.ceil(trace.clip[0]), Math.floor(trace.clip[1])];
    codes = codes.map((c) => Math.min(hi, Math.max(lo, c)));
  }
  return { codes, dtype };
}

/** QuantizeLinear of a constant, as ONNX Runtime computes it: float32 division, round half to even, add z, saturate. */
function quantizeLike(q: Node, x: Tensor, s: Float32Array, z: number[] | undefined, [lo, hi]: [number, number]): Int32Array {
  const xs = toFloat32(x);
  let axis = getInt(q, 'axis', 1);
  if (axis < 0) axis += x.dims.length;
  const inner = s.length === 1 ? xs.length : PRODUCT(x.dims.slice(axis + 1));
  const out = new Int32Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const c = s.length === 1 ? 0 : Math.floor(i / inner) % s.length;
    out[i] = Math.max(lo, Math.min(hi, roundHalfEven(Math.fround(xs[i]! / s[c]!)) + (z ? z[c]! : 0)));
  }
  return out;
}

/**
 * The plan granularity of a DequantizeLinear on `stored` dims whose output is reshaped to `target`: per-tensor,
 * per-channel on the axis of `target` that carries the same elements, or blocked along the rows of `target`
 * viewed 2-D (a block of exactly one row is per-channel on axis 0).
 */
function planGranularity(dq: Node, stored: number[], target: number[], scale: Tensor): WeightGranularity | string {
  const block = getInt(dq, 'block_size', 0);
  let axis = getInt(dq, 'axis', 1);
  if (axis < 0) axis += stored.length;
  // A one-element 1-D scale on an axis of size 1 is per-channel (a Conv with one output channel); else per-tensor.
  if (elementCount(scale.dims) === 1 && block === 0 && (scale.dims.length === 0 || stored[axis] !== 1)) return { kind: 'per-tensor' };
  if (block === 0) {
    const outer = PRODUCT(stored.slice(0, axis));
    for (let b = 0; b < target.length; b++) {
      if (target[b] === stored[axis] && PRODUCT(target.slice(0, b)) === outer) return { kind: 'per-channel', axis: b };
    }
    return `per-axis scales on axis ${axis} of [${stored}] do not map onto the weight's shape [${target}]`;
  }
  if (axis !== stored.length - 1 || PRODUCT(stored.slice(0, axis)) !== target[0]) {
    return `blocked scales on axis ${axis} of [${stored}]: a plan blocks the rows of the weight viewed [Cout, K]`;
  }
  // One block of exactly a row is per-channel (the CUDA layout of a per-channel plan); any other size stays blocked.
  return block === stored[axis]! ? { kind: 'per-channel', axis: 0 } : { kind: 'blocked', blockSize: block };
}

interface Grid {
  bits: number;
  narrow: boolean;
  codes: Int8Array;
  zeroPoints?: number[];
}

/**
 * The narrowest plan bit width that holds the codes and zero points: 4 when the trace found 4-bit codes carried in
 * a wider type, else the declared width (Clip range or storage type). Unsigned codes are shifted by 2^(b−1) into the
 * signed range, zero points with them, so (q − z) is unchanged.
 */
function chooseGrid(trace: WeightTrace, codes: Int32Array, dtype: DataTypeCode, zps: number[]): Grid | string {
  const declared = trace.declaredBits;
  if (declared > 8 || declared < 2) return `${declared}-bit codes (a plan holds 2 to 8 bits)`;
  const unsigned = intRange(dtype)![0] === 0;
  for (const bits of trace.effectiveBits <= 4 && declared > 4 ? [4, declared] : [declared]) {
    const half = 2 ** (bits - 1);
    const offset = unsigned ? half : 0;
    const fits = (v: number) => v - offset >= -half && v - offset < half;
    if (!codes.every(fits) || !zps.every(fits)) continue;
    const shifted = Int8Array.from(codes, (c) => c - offset);
    const zeroPoints = zps.map((z) => z - offset);
    const asym = zeroPoints.some((z) => z !== 0);
    const lowest = trace.clip ? Math.ceil(trace.clip[0]) - offset : shifted.reduce((m, c) => Math.min(m, c), half);
    return { bits, narrow: !asym && lowest > -half, codes: shifted, ...(asym ? { zeroPoints } : {}) };
  }
  return `codes or zero points outside the ${declared}-bit range`;
}

/** A weight chain as a plan decision and its dequantized values; a reason string when the plan cannot hold it. */
function readChain(
  graph: Graph,
  index: GraphIndex,
  node: Node,
  slot: number,
  trace: WeightTrace,
): { decision: ReadDecision; values: Float32Array } | string {
  const dq = graph.nodes[trace.dq!]!;
  const before = trace.chain.slice(0, trace.nodes.indexOf(trace.dq!)).filter((op) => !['Identity', 'Clip', 'QuantizeLinear'].includes(op));
  if (before.length > 0) return `${before[0]} between the stored codes and the DequantizeLinear`;
  const scaleRead = weightScaleOf(graph, index, dq.inputs[1] ?? '');
  const scale = scaleRead?.tensor;
  if (!scale || scale.dtype !== DataType.FLOAT)
    return "the DequantizeLinear's scale is not a float32 constant (or two-level uint8 or E4M3 block scales)";
  const s = toFloat32(scale);
  if (s.some((v) => !(v > 0) || !Number.isFinite(v))) return 'a scale that is not positive';
  const zpT = dq.inputs[2] ? constantOf(graph, index, dq.inputs[2]) : undefined;
  if (dq.inputs[2] && !zpT) return "the DequantizeLinear's zero point is not constant";
  const stored = storedCodes(graph, index, trace);
  if (typeof stored === 'string') return stored;
  if (zpT && zpT.dtype !== stored.dtype)
    return `zero point type ${dtypeName(zpT.dtype)} differs from the codes' ${dtypeName(stored.dtype)}`;
  const dims = trace.source.dims;
  const shape = shapeAfter(graph, index, trace, dims);
  if (typeof shape === 'string') return shape;
  const granularity = planGranularity(dq, dims, shape, scale);
  if (typeof granularity === 'string') return granularity;
  if (scaleLayout(shape, granularity).count !== s.length || (zpT && elementCount(zpT.dims) !== s.length)) {
    return `${s.length} scales do not fit the weight [${shape}]`;
  }
  const zps = zpT ? Array.from(toIntegers(zpT), Number) : new Array<number>(s.length).fill(0);
  const grid = chooseGrid(trace, stored.codes, stored.dtype, zps);
  if (typeof grid === 'string') return grid;
  const decision: ReadDecision = {
    opType: node.opType,
    input: slot,
    tensor: node.inputs[slot]!,
    shape,
    bits: grid.bits,
    narrow: grid.narrow,
    granularity,
    scales: Array.from(s),
    ...(grid.zeroPoints ? { zeroPoints: grid.zeroPoints } : {}),
    ...(scaleRead.blockScales && granularity.kind === 'blocked' ? { blockScales: scaleRead.blockScales } : {}),
    algorithm: { name: 'imported', from: trace.format },
    codes: Buffer.from(grid.codes.buffer, grid.codes.byteOffset, grid.codes.byteLength).toString('base64'),
    reason: `read from a ${trace.format} graph`,
  };
  return { decision, values: dequantizeCodes(grid.codes, shape, granularity, s, grid.zeroPoints) };
}
