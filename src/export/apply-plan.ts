import { InputError } from '../errors.js';
import { DataType } from '../onnx/ir/dtypes.js';
import type { Model } from '../onnx/ir/graph.js';
import { floatPrecisionPass, scalesKeptFloat32 } from '../onnx/passes/float-precision.js';
import { runPasses } from '../onnx/passes/pass-manager.js';
import { shrinkBroadcastConstantsPass } from '../onnx/passes/shrink-broadcast-constants.js';
import type { QuantPlan } from '../quant/plan.js';
import { SCHEMES } from '../quant/scheme.js';
import { exportModel } from './export-model.js';
import type { FormatName } from './formats.js';

export type ActivationDtype = 'fp16' | 'fp32';

export interface ExportRequest {
  format: FormatName;
  /** A16 schemes: FP16 activations (the GPU graph, default) or FP32 (the CPU twin). */
  actDtype?: ActivationDtype;
}

/**
 * Apply a plan to the FP32 working graph in one format; W4A16/W8A16 with fp16 activations get the FP16 graph.
 * Broadcast constant tables (anchor grids) are stored once with an Expand, exactly (see shrink-broadcast-constants).
 */
export function applyPlan(work: Model, plan: QuantPlan, req: ExportRequest): Model {
  const floatActs = SCHEMES[plan.scheme].activations === 'float';
  if (req.actDtype !== undefined && !floatActs)
    throw new InputError(`--act-dtype applies to the A16 schemes (w4a16, w8a16), not ${plan.scheme}`);
  const out = exportModel(work, plan, { format: req.format });
  const toFp16 =
    floatActs && req.actDtype !== 'fp32'
      ? [floatPrecisionPass({ from: DataType.FLOAT, to: DataType.FLOAT16, keepFloat32: scalesKeptFloat32(out) })]
      : [];
  return runPasses(out, [...toFp16, shrinkBroadcastConstantsPass()]).model;
}
