import { checkPlanFits } from '../quant/formats/capabilities.js';
import { nodeLabel, type Model } from '../onnx/ir/graph.js';
import type { QuantPlan } from '../quant/plan.js';
import { emitActivations } from './emit-activations.js';
import { FORMAT_CAPABILITIES, FORMATS, type FormatName } from './formats.js';
import { GraphEdit } from './graph-edit.js';
import { resolveWeights } from './resolve-plan.js';
import { applyPass } from '../onnx/passes/pass-manager.js';
import { upgradeOpsetPass } from '../onnx/passes/upgrade-opset.js';
import { DataType } from '../onnx/ir/dtypes.js';
import { makeTensor } from '../onnx/ir/tensor.js';
import type { ResolvedWeight } from './resolve-plan.js';

export interface ExportOptions {
  /** A row of the format table (src/export/formats.ts). */
  format: FormatName;
}

/**
 * A corrected bias (error correction re-fits it with the weights) as a float32 initializer. It takes the old
 * bias's name when nothing else reads that, so names stay as in the float model.
 */
function emitBias(edit: GraphEdit, w: ResolvedWeight, readers: Map<string, number>, outputs: Set<string>): string {
  const old = w.node.inputs[2];
  let name: string;
  if (old && readers.get(old) === 1 && !outputs.has(old) && edit.graph.initializers.some((t) => t.name === old)) {
    edit.releaseInitializer(old);
    name = edit.fresh(old);
  } else {
    name = edit.fresh(`${w.weight.name}_bias`);
  }
  return edit.addInitializer(makeTensor(name, DataType.FLOAT, [w.decision.bias!.length], w.decision.bias!));
}

/**
 * A pure function of (float model, plan): the quantized model in one format. The float model must be the one the
 * plan was made for (FP32 activations); the source model is not modified. The default-domain opset is raised to
 * the format's (13, or 21 for INT4), never lowered.
 */
export function exportModel(model: Model, plan: QuantPlan, options: ExportOptions): Model {
  const row = FORMATS[options.format];
  checkPlanFits(row.name, FORMAT_CAPABILITIES, plan);
  const resolved = resolveWeights(model, plan);
  // Upgrading keeps every node at its index and name, so the plan's labels still apply.
  const edit = new GraphEdit(applyPass(model, upgradeOpsetPass({ opset: row.capabilities.opset })));
  const emit = row.emitWeight;
  const labels = model.graph!.nodes.map((n, i) => nodeLabel(n, i));
  const readers = new Map<string, number>();
  for (const n of model.graph!.nodes) for (const v of n.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
  const outputs = new Set(model.graph!.outputs.map((o) => o.name));
  for (const w of resolved) {
    if (readers.get(w.weight.name) === 1 && !outputs.has(w.weight.name)) {
      edit.releaseInitializer(w.weight.name);
      w.outputName = w.weight.name;
    }
    const node = edit.graph.nodes[labels.indexOf(w.decision.node)]!;
    node.inputs[w.decision.input] = emit(edit, w);
    if (w.decision.bias) node.inputs[2] = emitBias(edit, w, readers, outputs);
  }
  const quantized = new Set(plan.weights.map((w) => w.node));
  // Labels of the original nodes keep their indices: new nodes were appended after them.
  emitActivations(edit, plan.activations, quantized, (i) => labels[i] ?? '');
  return edit.finish();
}
