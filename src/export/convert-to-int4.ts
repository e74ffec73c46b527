import { InputError } from '../errors.js';
import { DataType } from '../onnx/ir/dtypes.js';
import type { Model } from '../onnx/ir/graph.js';
import type { QuantPlan } from '../quant/plan.js';
import { readPlan } from '../quant/read/read-plan.js';
import { workingGraph } from '../quant/working-graph.js';
import { applyPlan } from './apply-plan.js';

/**
 * `convert --to int4`: read the QCDQ/QDQ/INT4 graph (yoloq's or Brevitas') into a float model and a QuantPlan,
 * then export that plan as native INT4. Dequantized weights are bit-identical to the source's; activation Q/DQ
 * keep their scales and zero points; wider-than-4-bit weights are stored as INT8. A graph that computes in FP16 (the
 * W4A16 GPU graph) is read through its FP32 working graph and written back with FP16 activations: weights stay
 * bit-identical, outputs agree within FP16 rounding.
 */

export interface ConvertOptions {
  /** Store 4-bit weights 2-D with blocked DequantizeLinear, as ORT's CUDA EP requires (format int4-cuda). */
  cudaLayout?: boolean;
}

export interface ConvertResult {
  model: Model;
  /** Weights now INT4 (≤ 4 bits), by node label. */
  converted: string[];
  /** Weights left wider than 4 bits (INT8 in the output) and quantizers the plan cannot hold (left as they were), and why. */
  kept: Array<{ node: string; reason: string }>;
  plan: QuantPlan;
  /** The float model `plan` applies to (its SHA-256 is `plan.modelSha256`). */
  float: Model;
}

export function convertToInt4(source: Model, options: ConvertOptions = {}): ConvertResult {
  const fp16 = source.graph!.initializers.some((t) => t.dtype === DataType.FLOAT16);
  const { float, plan, kept } = readPlan(fp16 ? workingGraph(source) : source);
  const converted = plan.weights.filter((w) => w.bits <= 4).map((w) => w.node);
  if (converted.length === 0) {
    const why = kept[0] ? ` (${kept.length} quantizers kept, e.g. ${kept[0].node}: ${kept[0].reason})` : '';
    throw new InputError(`nothing to convert: no weight DequantizeLinear with codes that fit 4 bits${why} (see: yoloq inspect)`);
  }
  const format = options.cudaLayout ? 'int4-cuda' : 'int4';
  const floatActs = plan.activations.length === 0;
  const model = applyPlan(float, plan, { format, ...(floatActs ? { actDtype: fp16 ? 'fp16' : 'fp32' } : {}) });
  const wide = plan.weights.filter((w) => w.bits > 4).map((w) => ({ node: w.node, reason: `${w.bits}-bit weight (INT8 in the output)` }));
  return { model, converted, kept: [...wide, ...kept], plan, float };
}
