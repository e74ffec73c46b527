import { InputError } from '../errors.js';
import { intAttr } from '../onnx/ir/attributes.js';
import { blockCount } from '../onnx/ir/block-quant.js';
import { DataType } from '../onnx/ir/dtypes.js';
import { makeTensor } from '../onnx/ir/tensor.js';
import { codeRange } from '../quant/weights/layout.js';
import { codeKindOf, type BlockScalesField } from '../quant/weights/two-level.js';
import type { GraphEdit } from './graph-edit.js';
import type { ResolvedWeight } from './resolve-plan.js';

/**
 * Per-format weight emission: each function adds the initializers and nodes that rebuild one float weight from
 * its codes and returns the value name the consuming node should read. Zero points are the decision's (asymmetric
 * weights) or 0; the INT4 form stores them as INT4 (DequantizeLinear wants the codes' type).
 * Nodes yoloq adds are left unnamed (ONNX names are optional); their values carry the names: `<weight>_q` codes,
 * `<weight>_s` scales, and the rebuilt weight keeps the float initializer's name. It keeps small models small: in
 * a 0.9 M-parameter model, names alone were 1% of the INT4 file.
 */
export type WeightEmitter = (edit: GraphEdit, w: ResolvedWeight) => string;

function scaleTensor(edit: GraphEdit, w: ResolvedWeight, dims: number[]) {
  return edit.addInitializer(makeTensor(edit.fresh(`${w.weight.name}_s`), DataType.FLOAT, dims, w.scales));
}

/**
 * The rebuilt weight takes the float initializer's own name when the exporter released it (it had no other
 * reader), so the consuming node reads the same value name as before and names are not repeated.
 */
function outputName(edit: GraphEdit, w: ResolvedWeight): string {
  return w.outputName ?? edit.fresh(`${w.weight.name}_w`);
}

/** DequantizeLinear attributes for the plan's granularity on the stored (unreshaped) weight. */
function perAxisAttrs(w: ResolvedWeight) {
  const g = w.decision.granularity;
  return g.kind === 'per-channel' ? [intAttr('axis', g.axis)] : [];
}

function int8Dequantize(edit: GraphEdit, w: ResolvedWeight, clip: boolean): string {
  const g = w.decision.granularity;
  if (g.kind === 'blocked') {
    throw new InputError(`${w.decision.node}: blocked scales need DequantizeLinear-21; export this plan with --format int4`);
  }
  const name = w.weight.name;
  const dims = g.kind === 'per-channel' ? [w.weight.dims[g.axis]!] : [];
  let x = edit.addInitializer(makeTensor(edit.fresh(`${name}_q`), DataType.INT8, w.weight.dims, w.codes));
  const [qmin, qmax] = codeRange(w.decision.bits, w.decision.narrow);
  if (clip && (qmin !== -128 || qmax !== 127)) {
    const lo = edit.addInitializer(makeTensor(edit.fresh(`${name}_lo`), DataType.INT8, [], [qmin]));
    const hi = edit.addInitializer(makeTensor(edit.fresh(`${name}_hi`), DataType.INT8, [], [qmax]));
    x = edit.addNode({ opType: 'Clip', outputs: [edit.fresh(`${name}_c`)], inputs: [x, lo, hi], attributes: [] });
  }
  const scale = scaleTensor(edit, w, dims);
  const zp = edit.addInitializer(
    makeTensor(edit.fresh(`${name}_zp`), DataType.INT8, dims, w.zeroPoints ?? new Array(dims[0] ?? 1).fill(0)),
  );
  return edit.addNode({ opType: 'DequantizeLinear', inputs: [x, scale, zp], attributes: perAxisAttrs(w), outputs: [outputName(edit, w)] });
}

/** Brevitas-style QCDQ: int8 codes → Clip to the b-bit range → DequantizeLinear (opset 13). */
export const emitQcdq: WeightEmitter = (edit, w) => int8Dequantize(edit, w, true);

/** Plain QDQ with int8-carried codes and no Clip, which ORT CPU and TensorRT fuse into integer Convs. */
export const emitQdq: WeightEmitter = (edit, w) => int8Dequantize(edit, w, false);

function storedType(bits: number): number {
  return bits <= 4 ? DataType.INT4 : DataType.INT8;
}

/**
 * Native INT4 (opset 21): ≤4-bit codes packed two per byte, DequantizeLinear straight from the packed tensor.
 * Layout 'cuda-blocked': every ≤4-bit weight whose rows are output channels is stored 2-D [Cout, K] and dequantized
 * with blocked scales [Cout, blocks] (per-channel = one block per row), then reshaped back: ORT's CUDA EP implements
 * INT4 DequantizeLinear only for blocked quantization. Blocked plans take this layout in either.
 */
export interface Int4Options {
  layout: 'as-planned' | 'cuda-blocked';
  /**
   * 2: a decision with two-level block scales stores them as 8-bit codes [rows, blocks] and their float32
   * second-level scales, dequantized by a DequantizeLinear whose output is the weight DequantizeLinear's scale input.
   * 1 (default): the float32 block scales themselves.
   */
  scaleLevels?: 1 | 2;
}

/**
 * Block-scale codes → DequantizeLinear against the second-level scales: the float32 block scales [rows, blocks].
 * uint8 codes read one scale per row (axis 0); FP8 E4M3 codes one scale for the tensor (per-tensor, as NVFP4).
 */
function blockScaleChain(edit: GraphEdit, name: string, rows: number, blocks: number, b: BlockScalesField): string {
  const e4m3 = codeKindOf(b) === 'e4m3';
  const codes = edit.addInitializer(
    e4m3
      ? {
          name: edit.fresh(`${name}_sq`),
          dtype: DataType.FLOAT8E4M3FN,
          dims: [rows, blocks],
          data: Uint8Array.from(b.codes),
          field: 'raw_data',
        }
      : makeTensor(edit.fresh(`${name}_sq`), DataType.UINT8, [rows, blocks], b.codes),
  );
  const second = edit.addInitializer(makeTensor(edit.fresh(`${name}_ss`), DataType.FLOAT, e4m3 ? [] : [rows], b.rowScales));
  return edit.addNode({
    opType: 'DequantizeLinear',
    inputs: [codes, second],
    attributes: e4m3 ? [] : [intAttr('axis', 0)],
    outputs: [edit.fresh(`${name}_s`)],
  });
}

export function emitInt4(options: Int4Options): WeightEmitter {
  const cudaLayout = options.layout === 'cuda-blocked';
  const twoLevel = options.scaleLevels === 2;
  return (edit, w) => {
    const d = w.decision;
    const g = d.granularity;
    const name = w.weight.name;
    const dims = w.weight.dims;
    const rows = dims[0]!;
    const k = w.codes.length / rows;
    const blocked =
      g.kind === 'blocked' || (cudaLayout && d.bits <= 4 && (g.kind === 'per-tensor' || (g.kind === 'per-channel' && g.axis === 0)));
    if (!blocked) {
      const x = edit.addInitializer(makeTensor(edit.fresh(`${name}_q`), storedType(d.bits), dims, w.codes));
      const sdims = g.kind === 'per-channel' ? [dims[g.axis]!] : [];
      const scale = scaleTensor(edit, w, sdims);
      const zp = w.zeroPoints ? [edit.addInitializer(makeTensor(edit.fresh(`${name}_zp`), storedType(d.bits), sdims, w.zeroPoints))] : [];
      return edit.addNode({
        opType: 'DequantizeLinear',
        inputs: [x, scale, ...zp],
        attributes: perAxisAttrs(w),
        outputs: [outputName(edit, w)],
      });
    }
    const blockSize = g.kind === 'blocked' ? g.blockSize : k;
    const blocks = blockCount(k, blockSize);
    // Per-tensor in the CUDA layout repeats its one scale per row.
    const scales = g.kind === 'per-tensor' ? new Float32Array(rows).fill(w.scales[0]!) : w.scales;
    const x = edit.addInitializer(makeTensor(edit.fresh(`${name}_q`), storedType(d.bits), [rows, k], w.codes));
    const scale =
      twoLevel && d.blockScales
        ? blockScaleChain(edit, name, rows, blocks, d.blockScales)
        : edit.addInitializer(makeTensor(edit.fresh(`${name}_s`), DataType.FLOAT, [rows, blocks], scales));
    const zeros = w.zeroPoints && g.kind === 'per-tensor' ? new Int8Array(rows).fill(w.zeroPoints[0]!) : w.zeroPoints;
    const zp = zeros ? [edit.addInitializer(makeTensor(edit.fresh(`${name}_zp`), storedType(d.bits), [rows, blocks], zeros))] : [];
    let out = edit.addNode({
      opType: 'DequantizeLinear',
      inputs: [x, scale, ...zp],
      outputs: [edit.fresh(`${name}_w2d`)],
      attributes: [intAttr('axis', 1), intAttr('block_size', blockSize)],
    });
    if (dims.length !== 2) {
      const shape = edit.addInitializer(makeTensor(edit.fresh(`${name}_shape`), DataType.INT64, [dims.length], dims));
      out = edit.addNode({ opType: 'Reshape', inputs: [out, shape], attributes: [], outputs: [outputName(edit, w)] });
    }
    return out;
  };
}
