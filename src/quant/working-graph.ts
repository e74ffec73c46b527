import { DataType } from '../onnx/ir/dtypes.js';
import type { Model } from '../onnx/ir/graph.js';
import { floatPrecisionPass } from '../onnx/passes/float-precision.js';
import { applyPass } from '../onnx/passes/pass-manager.js';
import { applyEqualization } from './calibration/equalization.js';
import type { QuantPlan } from './plan.js';

/**
 * Plans are made on an FP32 working graph (FP16 models are converted, their FP16 interface kept), so one plan
 * serves every format and both W4A16 twins.
 */
export function workingGraph(model: Model): Model {
  const hasFp16 = model.graph!.initializers.some((t) => t.dtype === DataType.FLOAT16);
  return hasFp16 ? applyPass(model, floatPrecisionPass({ from: DataType.FLOAT16, to: DataType.FLOAT, castConstants: true })) : model;
}

/** The graph a saved plan applies to: the working graph with the plan's range equalization applied. */
export function planWorkingGraph(model: Model, plan: QuantPlan): Model {
  return applyEqualization(workingGraph(model), plan.equalization ?? []);
}
