import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImageTensors, type ImageTensorResult } from '../../brevitas/image-tensors.js';
import { InputError } from '../../errors.js';
import { mainGraph, nodeLabel, type Model, type Node } from '../../onnx/ir/graph.js';
import { elementCount, toFloat32 } from '../../onnx/ir/tensor.js';
import { modelFromBytes, modelToBytes } from '../../onnx/serde/model-io.js';
import type { OutputLayout } from '../../yolo/families/types.js';
import type { LetterboxOptions } from '../../yolo/preprocess.js';
import { planToJson, type QuantPlan, type WeightDecision } from '../plan.js';
import { quantizeCodes } from '../weights/codes.js';
import { planWorkingGraph } from '../working-graph.js';
import { activationReaders, planBlocks, type BlockOptions, type LearnBlock } from './blocks.js';
import { batchFreeReshapes } from './batch-free.js';

/**
 * The job folder block reconstruction runs on (python/yoloq_brevitas/learned reads it; docs/learned-rounding.md):
 *   float.onnx   the plan's FP32 working graph (the float reference), every node named by its plan label, batch-1
 *                Reshape targets made batch-free (batch-free.ts)
 *   plan.json    the plan, single-file, with every weight's codes written out (round-to-nearest computed here when
 *                the plan had none), so Python never derives a grid; corrected biases stay in it, for the quantized model
 *   blocks.json  {"version": 1, "blocks": LearnBlock[], "activations": [{value, readers}], "output"?: OutputLayout}
 *   images.npy + meta.json  the calibration images letterboxed by yoloq (src/brevitas/image-tensors.ts)
 */
export interface LearnJobRequest {
  modelBytes: Uint8Array;
  plan: QuantPlan;
  images: readonly string[];
  letterbox: LetterboxOptions;
  family: string;
  dir: string;
  blocks?: BlockOptions;
  /** The family's output layout, for the Python stage's output-weighted loss. */
  output?: OutputLayout;
  onProgress?: (done: number, total: number) => void;
}

export interface LearnJob {
  blocks: LearnBlock[];
  images: ImageTensorResult;
}

/** The plan with explicit codes on every weight: its own where it has them, else round-to-nearest on its grid. */
export function withExplicitCodes(model: Model, plan: QuantPlan): QuantPlan {
  const inits = new Map(mainGraph(model).initializers.map((t) => [t.name, t]));
  const weights = plan.weights.map((d): WeightDecision => {
    if (d.codes) return d;
    const t = inits.get(d.tensor);
    if (!t || t.dims.join(',') !== d.shape.join(','))
      throw new InputError(`plan does not fit the model: no initializer ${d.tensor} of shape [${d.shape}]`);
    const q = quantizeCodes(toFloat32(t), d.shape, d.granularity, d.scales, d.bits, d.narrow);
    return { ...d, codes: Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString('base64') };
  });
  return { ...plan, weights };
}

/**
 * The working graph with every node named by its label, so Python finds a plan node by name. Weights and biases
 * stay the float model's: the float model is the reference the quantized one learns to match, and a corrected
 * bias (plan.json carries it) belongs to the quantized model only.
 */
export function learnGraph(work: Model): Model {
  const g = mainGraph(work);
  const labels = g.nodes.map((n, i) => nodeLabel(n, i));
  const labelsSeen = new Set<string>();
  for (const l of labels) {
    if (labelsSeen.has(l)) throw new InputError(`the model has two nodes named ${l}: block reconstruction needs unique node names`);
    labelsSeen.add(l);
  }
  return { ...work, graph: { ...g, nodes: g.nodes.map((n, i): Node => ({ ...n, name: labels[i]! })) } };
}

/** Check that each decision names a node reading its tensor with the planned element count. */
function checkFits(model: Model, plan: QuantPlan): void {
  const g = mainGraph(model);
  const byLabel = new Map(g.nodes.map((n, i) => [nodeLabel(n, i), n]));
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  for (const d of plan.weights) {
    const node = byLabel.get(d.node);
    if (!node || node.inputs[d.input] !== d.tensor)
      throw new InputError(`plan does not fit the model: no node ${d.node} reading ${d.tensor}`);
    if (d.opType !== 'Conv') throw new InputError(`learned rounding handles Conv weights; the plan quantizes ${d.opType} ${d.node}`);
    const t = inits.get(d.tensor);
    if (!t || elementCount(t.dims) !== elementCount(d.shape))
      throw new InputError(`plan does not fit the model: ${d.tensor} has another shape`);
  }
}

/** plan.json of the job folder: the plan with explicit codes on the working graph `work`. */
export function jobPlanJson(work: Model, plan: QuantPlan): string {
  return planToJson(withExplicitCodes(work, plan));
}

/** Write the job folder `dir` (emptied first). InputError before anything is written when the plan does not fit. */
export async function writeLearnJob(req: LearnJobRequest): Promise<LearnJob> {
  const work = planWorkingGraph(modelFromBytes(req.modelBytes), req.plan);
  checkFits(work, req.plan);
  const graph = learnGraph(work);
  const blocks = planBlocks(work, req.plan, req.blocks);
  const activations = activationReaders(work, req.plan);
  // writeImageTensors empties the folder, so it goes first.
  const images = await writeImageTensors({
    images: req.images,
    letterbox: req.letterbox,
    outDir: req.dir,
    family: req.family,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
  writeFileSync(join(req.dir, 'float.onnx'), modelToBytes(batchFreeReshapes(graph).model));
  writeFileSync(join(req.dir, 'plan.json'), jobPlanJson(work, req.plan));
  writeFileSync(
    join(req.dir, 'blocks.json'),
    `${JSON.stringify({ version: 1, blocks, activations, ...(req.output ? { output: req.output } : {}) }, null, 1)}\n`,
  );
  return { blocks, images };
}
