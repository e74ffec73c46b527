import type { Model } from '../../onnx/ir/graph.js';
import type { QuantPlan } from '../plan.js';

/**
 * What algorithms that measure inside the quantized model (error correction) need from the emitting side: the
 * float graph that computes what a plan's quantized model computes. Quantization decides and export emits, so the
 * builder (src/export/simulated-model.ts) is handed in by the caller rather than imported here.
 */
export interface SimulatedModel {
  model: Model;
  /** Planned node label → the value its input 0 reads in `model` (the fake-quantized activation, or the float one). */
  dataInputs: Map<string, string>;
}

/** `floatWeights`: planned nodes whose weights stay float (their activations are still fake-quantized). */
export type Simulate = (work: Model, plan: QuantPlan, floatWeights?: ReadonlySet<string>) => SimulatedModel;
