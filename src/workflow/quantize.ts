import { simulatedModel } from '../export/simulated-model.js';
import { planModel, type PlannedModel, type PlanRequest } from '../quant/plan-model.js';

/**
 * Where deciding and emitting meet: src/quant decides without importing src/export, so the pieces of the emitting
 * side an algorithm measures through (the fake-quant model error correction runs) are wired in here. Commands,
 * the run pipeline and benches plan through this module.
 */
export function makePlan(modelBytes: Uint8Array, req: PlanRequest): Promise<PlannedModel> {
  return planModel(modelBytes, req, { simulate: simulatedModel });
}

export { applyPlan, type ActivationDtype, type ExportRequest } from '../export/apply-plan.js';
export { planWorkingGraph, workingGraph } from '../quant/working-graph.js';
export type { PlanRequest, PlannedModel } from '../quant/plan-model.js';
