import { DataType } from '../onnx/ir/dtypes.js';
import type { Model } from '../onnx/ir/graph.js';
import { foldWeightDequantizePass } from '../onnx/passes/fold-weight-dequantize.js';
import { runPasses } from '../onnx/passes/pass-manager.js';
import { inlineExternalData } from '../onnx/serde/external-data.js';
import { loadModel, modelToBytes } from '../onnx/serde/model-io.js';
import { zeroPointFreeWeightsPass } from './zero-point-free-weights.js';

export interface PreparedModel {
  /** What to hand to createSession: the original path, or rewritten bytes. */
  source: string | Uint8Array;
  /** How the weights were prepared, in words (empty when the model was used as is). */
  note: string;
}

/**
 * The weight rewrites yoloq makes before ORT's CPU EP sees a model, values unchanged: integer-Conv weight zero
 * points folded into int8 codes (zero-point-free-weights.ts), then native INT4 weights widened to INT8 for integer
 * Convs or dequantized once to float, as are 8-bit weights of Convs with float inputs (fold-weight-dequantize.ts). `modified` false: the model is returned as is.
 * `yoloq convert --to ort-cpu` writes the result, so plain ORT gets what a yoloq session gets.
 */
export function prepareForOrtCpu(model: Model): { model: Model; modified: boolean; note: string } {
  const { model: out, ran } = runPasses(model, [zeroPointFreeWeightsPass(), foldWeightDequantizePass()]);
  const { shifted = 0 } = ran[0]!.counts ?? {};
  const { folded = 0, toInt8 = 0 } = ran[1]!.counts ?? {};
  const parts = [
    ...(folded + toInt8 > 0
      ? [`weights prepared at load: ${folded} dequantized to float, ${toInt8} INT4 widened to INT8 for integer Convs`]
      : []),
    ...(shifted > 0 ? [`${shifted} integer-Conv weight zero points folded into int8 codes`] : []),
  ];
  return { model: out, modified: out !== model, note: parts.join('; ') };
}

/**
 * How yoloq loads a model into ONNX Runtime: the weights are prepared once (prepareForOrtCpu) unless `raw` is set;
 * a model that needs nothing goes to ORT untouched.
 */
export function prepareModel(path: string, options: { raw?: boolean } = {}): PreparedModel {
  if (options.raw) return { source: path, note: '' };
  const model = loadModel(path);
  if (!mayNeedPreparing(model)) return { source: path, note: '' };
  // The rewritten model goes to ORT as bytes: external tensors (read next to the model file) must travel inline.
  inlineExternalData(model);
  const prepared = prepareForOrtCpu(model);
  return prepared.modified ? { source: modelToBytes(prepared.model), note: prepared.note } : { source: path, note: '' };
}

const WEIGHT_CODE_TYPES: ReadonlySet<number> = new Set([DataType.INT4, DataType.UINT4, DataType.INT8, DataType.UINT8]);

/** A DequantizeLinear of constant 4- or 8-bit codes: the only models prepareForOrtCpu can change. */
function mayNeedPreparing(model: Model): boolean {
  const g = model.graph!;
  const codes = new Set(g.initializers.filter((t) => WEIGHT_CODE_TYPES.has(t.dtype)).map((t) => t.name));
  return g.nodes.some((n) => n.opType === 'DequantizeLinear' && codes.has(n.inputs[0] ?? ''));
}
