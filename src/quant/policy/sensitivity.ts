import { DataType } from '../../onnx/ir/dtypes.js';
import type { Model } from '../../onnx/ir/graph.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import type { WeightDecision } from '../plan.js';
import { dequantizeCodes, maxAbsScales, quantizeCodes } from '../weights/codes.js';
import type { OutputMeasure } from './output-fields.js';

/**
 * Per-layer sensitivity: quantize one layer at a time (everything else float) and measure how far the model's raw
 * outputs move. The candidate weights become graph inputs, so one ORT session serves every layer: a run feeds the
 * float weights, with the fake-quantized (dequantized float) weight of the layer under test in its place.
 *
 * The noise measure is Σ(ref − q)² / Σ ref² per group of output fields — box terms, objectness, class scores, for
 * a YOLO output (see output-fields.ts) — averaged over the groups, so pixel-sized box coordinates do not drown the
 * probabilities. sqnrDb = −10·log10 of it.
 */

export interface LayerSensitivity {
  node: string;
  params: number;
  /** Field-balanced output SQNR with only this layer quantized, dB (higher is safer). */
  sqnrDb: number;
  /** Relative output noise (10^(−sqnrDb/10)). */
  noise: number;
  /** noise per million parameters: the greedy ranking key for keeping layers at 8 bits. */
  noisePerMParam: number;
}

export interface SensitivityOptions {
  /** Bits the layer is tried at (default: each decision's own bits). */
  bits?: number;
  /** How the output's noise is pooled (outputFields); absent: per column of the last axis. */
  fields?: OutputMeasure;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The dequantized weight of a decision (its codes when present, else round-to-nearest from its scales). */
export function fakeQuantWeight(d: WeightDecision, w: Float32Array, bits?: number): Float32Array {
  if (bits !== undefined && bits !== d.bits) {
    const scales = maxAbsScales(w, d.shape, d.granularity, bits);
    return dequantizeCodes(quantizeCodes(w, d.shape, d.granularity, scales, bits, d.narrow), d.shape, d.granularity, scales);
  }
  const codes = d.codes
    ? new Int8Array(Buffer.from(d.codes, 'base64'))
    : quantizeCodes(w, d.shape, d.granularity, d.scales, d.bits, d.narrow);
  return dequantizeCodes(codes, d.shape, d.granularity, d.scales, d.zeroPoints);
}

/**
 * Accumulates signal and noise per (output, field group); without fields, per column of the last axis; with
 * 'per-tensor', per output tensor (every element of an output in one group).
 */
export class FieldNoise {
  private readonly sig = new Map<string, Float64Array>();
  private readonly noi = new Map<string, Float64Array>();

  constructor(private readonly fields?: OutputMeasure) {}

  add(name: string, ref: Float32Array, q: Float32Array, dims: readonly number[]): void {
    const perTensor = this.fields === 'per-tensor';
    const f = typeof this.fields === 'object' && this.fields.output === name ? this.fields : undefined;
    const axis = f ? f.axis : dims.length - 1;
    const count = dims[axis] ?? 1;
    const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const groupOf = Int32Array.from({ length: count }, (_, k) => (perTensor ? 0 : f ? f.groupOf(k) : k));
    const groups = Math.max(...groupOf) + 1;
    const s = this.sig.get(name) ?? new Float64Array(groups);
    const n = this.noi.get(name) ?? new Float64Array(groups);
    const boxes = f?.pixelBoxes && count > 4 ? f.pixelBoxes : undefined;
    for (let i = 0; i < ref.length; i++) {
      const g = groupOf[Math.floor(i / inner) % count]!;
      if (boxes && g === 0) continue;
      s[g]! += ref[i]! * ref[i]!;
      const d = ref[i]! - q[i]!;
      n[g]! += d * d;
    }
    if (boxes) {
      // Element (anchor a, field k) of a [..., fields at `axis`, inner] tensor: outer block, field, position in block.
      const anchors = ref.length / count;
      const at = (a: number, k: number) => Math.floor(a / inner) * count * inner + k * inner + (a % inner);
      for (let a = 0; a < anchors; a++) {
        let best = 0;
        for (let k = boxes.firstClass; k < count; k++) best = Math.max(best, ref[at(a, k)]!);
        const conf = (boxes.objectness ? ref[at(a, 4)]! : 1) * best;
        if (!(conf > 0)) continue;
        let d2 = 0;
        for (let k = 0; k < 4; k++) d2 += (ref[at(a, k)]! - q[at(a, k)]!) ** 2;
        s[0]! += conf * (ref[at(a, 2)]! ** 2 + ref[at(a, 3)]! ** 2);
        n[0]! += conf * d2;
      }
    }
    this.sig.set(name, s);
    this.noi.set(name, n);
  }

  /** Mean over groups of Σ(ref − q)² / Σ ref². */
  relative(): number {
    let total = 0;
    let count = 0;
    for (const [name, s] of this.sig) {
      const n = this.noi.get(name)!;
      for (let c = 0; c < s.length; c++)
        if (s[c]! > 0) {
          total += n[c]! / s[c]!;
          count++;
        }
    }
    return count === 0 ? 0 : total / count;
  }
}

/**
 * The model with the named initializers turned into graph inputs. (onnxruntime-node drops feeds that are not in
 * `inputNames`, and initializers listed as inputs are not, so they must leave the initializer list.)
 */
function weightsAsInputs(model: Model, names: readonly string[]): Model {
  const g = model.graph!;
  const set = new Set(names);
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const extra = names.map((n) => ({ name: n, type: { elemType: DataType.FLOAT, shape: [...inits.get(n)!.dims] } }));
  return { ...model, graph: { ...g, inputs: [...g.inputs, ...extra], initializers: g.initializers.filter((t) => !set.has(t.name)) } };
}

/**
 * Sensitivity of every decision in `candidates` on the given preprocessed inputs (a handful suffice: 8 images).
 * `work` is the FP32 working graph the plan was made on.
 */
export async function measureSensitivity(
  work: Model,
  candidates: readonly WeightDecision[],
  inputs: ReadonlyArray<Record<string, HostTensor>>,
  options: SensitivityOptions = {},
): Promise<LayerSensitivity[]> {
  const g = work.graph!;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const floatWeights = new Map(candidates.map((d) => [d.tensor, toFloat32(inits.get(d.tensor)!)]));
  const session = await createSession(
    modelToBytes(
      // One input per weight, however many of its ways are probed (the bits budget tries several per layer).
      weightsAsInputs(work, [...new Set(candidates.map((d) => d.tensor))]),
    ),
    { threads: options.threads ?? 0 },
  );
  const weightFeeds: Record<string, HostTensor> = {};
  for (const d of candidates) weightFeeds[d.tensor] = { dtype: 'float32', dims: [...d.shape], data: floatWeights.get(d.tensor)! };
  const out: LayerSensitivity[] = [];
  try {
    const refs: Array<Record<string, HostTensor>> = [];
    for (const feed of inputs) refs.push(await session.run({ ...feed, ...weightFeeds }));
    for (const [i, d] of candidates.entries()) {
      const w = floatWeights.get(d.tensor)!;
      const fq = fakeQuantWeight(d, w, options.bits);
      const meter = new FieldNoise(options.fields);
      for (const [j, feed] of inputs.entries()) {
        const res = await session.run({ ...feed, ...weightFeeds, [d.tensor]: { dtype: 'float32', dims: [...d.shape], data: fq } });
        for (const [name, ref] of Object.entries(refs[j]!)) {
          const r = toFloatTensor(ref);
          meter.add(name, r.data, toFloatTensor(res[name]!).data, r.dims);
        }
      }
      const noise = meter.relative();
      const params = w.length;
      out.push({
        node: d.node,
        params,
        noise,
        sqnrDb: noise === 0 ? Infinity : -10 * Math.log10(noise),
        noisePerMParam: (noise / params) * 1e6,
      });
      options.onProgress?.(i + 1, candidates.length);
    }
  } finally {
    await session.dispose();
  }
  return out;
}
