import { InputError } from '../../errors.js';
import type { Calibration } from '../calibration/samples.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import type { WeightDecision } from '../plan.js';
import { maxAbsScales } from '../weights/codes.js';
import type { QuantTarget } from './targets.js';
import { measureSensitivity, type LayerSensitivity } from './sensitivity.js';
import { mainGraph, nodeLabel, type Model } from '../../onnx/ir/graph.js';
import { graphBeforeTopK } from './sensitivity-graph.js';
import { outputFields, outputMeasureNote, type OutputMeasure } from './output-fields.js';
import type { HostTensor } from '../../runtime/host-tensor.js';

/**
 * Mixed precision under a parameter budget: keep at 8 bits the layers whose 4-bit noise per parameter is largest,
 * as long as the share of Conv weight parameters at ≤ 4 bits stays at or above `budget` (e.g. 0.9). The share is
 * of every Conv weight, float ones included, as `yoloq inspect` reports it. A greedy
 * knapsack on noise/params, assuming the layers' output noises add — the shape the probe measurements support.
 */

export interface BudgetChoice {
  /** Nodes moved to 8 bits, most sensitive first. */
  kept: string[];
  /** Share of Conv weight parameters at ≤ 4 bits after the choice. */
  fourBitShare: number;
}

/** Conv weight parameters in all and at ≤ 4 bits. */
function convParams(decisions: readonly WeightDecision[]): { all: number; low: number } {
  let all = 0;
  let low = 0;
  for (const d of decisions) {
    if (d.opType !== 'Conv') continue;
    const n = d.shape.reduce((a, b) => a * b, 1);
    all += n;
    if (d.bits <= 4) low += n;
  }
  return { all, low };
}

/** Share of Conv weight parameters at ≤ 4 bits. */
export function fourBitShare(decisions: readonly WeightDecision[]): number {
  const { all, low: n } = convParams(decisions);
  return all === 0 ? 0 : n / all;
}

/**
 * Conv weight parameters of the targets that stay float (box decoding, TensorRT's float prediction layers): they
 * count in the budget's whole, as `yoloq inspect` counts every Conv weight of the model.
 */
export function floatConvParams(targets: readonly QuantTarget[], decisions: readonly WeightDecision[]): number {
  const decided = new Set(decisions.map((d) => d.node));
  let n = 0;
  for (const t of targets) if (t.opType === 'Conv' && !decided.has(t.node)) n += t.weight.dims.reduce((a, b) => a * b, 1);
  return n;
}

/** `floatParams`: Conv weight parameters left float (floatConvParams), part of the whole the budget is a share of. */
export function chooseKept(
  decisions: readonly WeightDecision[],
  sensitivity: readonly LayerSensitivity[],
  budget: number,
  floatParams = 0,
): BudgetChoice {
  const counts = convParams(decisions);
  const all = counts.all + floatParams;
  let low = counts.low;
  const ranked = [...sensitivity].sort((a, b) => b.noisePerMParam - a.noisePerMParam || a.node.localeCompare(b.node));
  const kept: string[] = [];
  for (const s of ranked) {
    if ((low - s.params) / all < budget) continue;
    low -= s.params;
    kept.push(s.node);
  }
  return { kept, fourBitShare: all === 0 ? 0 : low / all };
}

/** The decisions with `kept` moved to 8-bit per-channel round-to-nearest (the algorithm runs afterwards). */
export function keepAtEightBits(
  decisions: readonly WeightDecision[],
  targets: readonly QuantTarget[],
  kept: readonly string[],
): WeightDecision[] {
  const set = new Set(kept);
  const byNode = new Map(targets.map((t) => [t.node, t]));
  return decisions.map((d) => {
    if (!set.has(d.node)) return d;
    const t = byNode.get(d.node)!;
    const granularity = { kind: 'per-channel', axis: t.outputAxis } as const;
    // The 4-bit grid's codes, block-scale codes and zero points do not describe the 8-bit per-channel grid: a
    // two-level decision kept its block scales here once, and its plan file could not be read back.
    const { codes: _codes, blockScales: _blockScales, zeroPoints: _zeroPoints, ...rest } = d;
    void _codes;
    void _blockScales;
    void _zeroPoints;
    return {
      ...rest,
      bits: 8,
      granularity,
      scales: Array.from(maxAbsScales(toFloat32(t.weight), d.shape, granularity, 8)),
      reason: 'sensitivity: kept at 8 bits under the 4-bit parameter budget',
    };
  });
}

export interface BudgetOptions {
  budget: number;
  /** Preprocessed inputs the sensitivity is measured on (8 calibration images are enough to rank layers). */
  inputs: ReadonlyArray<Record<string, HostTensor>>;
  threads?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * The graph to measure on: cut before an in-graph top-k (NMS-free YOLOv10 exports, where output noise saturates
 * for every layer otherwise), when every candidate layer keeps its label there.
 */
export function sensitivityGraph(work: Model, candidates: readonly WeightDecision[]): Model {
  const cut = graphBeforeTopK(work);
  if (cut === work) return work;
  const labels = new Set(mainGraph(cut).nodes.map((n, i) => nodeLabel(n, i)));
  return candidates.every((d) => labels.has(d.node)) ? cut : work;
}

/**
 * The graph to measure on (sensitivityGraph), how its output's noise is pooled (outputFields), and a line for the
 * user when that is the family-agnostic measure (outputMeasureNote).
 */
export function sensitivityTarget(
  work: Model,
  candidates: readonly WeightDecision[],
): { measured: Model; fields: OutputMeasure | undefined; note?: string } {
  const measured = sensitivityGraph(work, candidates);
  const fields = outputFields(measured, measured !== work);
  const note = outputMeasureNote(fields, measured.graph?.outputs.length ?? 0);
  return { measured, fields, ...(note ? { note } : {}) };
}

/** Measure 4-bit sensitivity of the low-bit layers and move the most sensitive to 8 bits within the budget. */
export async function applyBudget(
  work: Model,
  targets: readonly QuantTarget[],
  decisions: readonly WeightDecision[],
  options: BudgetOptions,
): Promise<{ decisions: WeightDecision[]; choice: BudgetChoice; sensitivity: LayerSensitivity[]; note?: string }> {
  const low = decisions.filter((d) => d.bits <= 4 && d.opType === 'Conv');
  const { measured, fields, note } = sensitivityTarget(work, low);
  const sensitivity = await measureSensitivity(measured, low, options.inputs, {
    fields,
    threads: options.threads,
    onProgress: (n, t) => options.onProgress?.('sensitivity', n, t),
  });
  const choice = chooseKept(decisions, sensitivity, options.budget, floatConvParams(targets, decisions));
  return { decisions: keepAtEightBits(decisions, targets, choice.kept), choice, sensitivity, ...(note ? { note } : {}) };
}

/** A draw of `count` calibration images (same seed as the command's), preprocessed, for sensitivity runs. */
export async function sensitivityInputs(calibration: Calibration | undefined, count = 8): Promise<Array<Record<string, HostTensor>>> {
  if (!calibration) throw new InputError("--budget needs calibration images (--calib): it measures each layer's sensitivity");
  const out: Array<Record<string, HostTensor>> = [];
  for await (const f of calibration.draw({ count }).feeds()) out.push(f);
  return out;
}
