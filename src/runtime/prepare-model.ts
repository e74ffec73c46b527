import { DataType } from '../onnx/ir/dtypes.js';
import { foldWeightDequantizePass } from '../onnx/passes/fold-weight-dequantize.js';
import { runPasses } from '../onnx/passes/pass-manager.js';
import { inlineExternalData } from '../onnx/serde/external-data.js';
import { loadModel, modelToBytes } from '../onnx/serde/model-io.js';

export interface PreparedModel {
  /** What to hand to createSession: the original path, or rewritten bytes. */
  source: string | Uint8Array;
  /** How the weights were prepared, in words (empty when the model was used as is). */
  note: string;
}

/**
 * How yoloq loads a model into ONNX Runtime: native INT4 weights are prepared once (see
 * fold-weight-dequantize.ts) unless `raw` is set; everything else goes to ORT untouched.
 */
export function prepareModel(path: string, options: { raw?: boolean } = {}): PreparedModel {
  if (options.raw) return { source: path, note: '' };
  const model = loadModel(path);
  const hasInt4 = model.graph!.initializers.some((t) => t.dtype === DataType.INT4 || t.dtype === DataType.UINT4);
  if (!hasInt4) return { source: path, note: '' };
  // The rewritten model goes to ORT as bytes: external tensors (read next to the model file) must travel inline.
  inlineExternalData(model);
  const { model: folded, ran } = runPasses(model, [foldWeightDequantizePass()]);
  const { folded: f = 0, toInt8 = 0 } = ran[0]!.counts ?? {};
  return {
    source: modelToBytes(folded),
    note: `INT4 weights prepared at load: ${f} dequantized to float, ${toInt8} widened to INT8 for integer Convs`,
  };
}
