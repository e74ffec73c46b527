import { InputError } from '../../errors.js';
import type { Model } from '../../onnx/ir/graph.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import type { WeightDecision } from '../plan.js';
import { allocateBits, type AllocLayer } from './bits-allocation.js';
import { decisionBits } from './decision-bits.js';
import { measureSensitivity } from './sensitivity.js';
import { floatConvParams, keepAtEightBits, sensitivityTarget } from './sensitivity-budget.js';
import type { QuantTarget } from './targets.js';
import { rtnDecision, type BlockScaleRequest } from './weight-policy.js';

/**
 * A bits-per-weight budget (`--bits`): the all-in storage of every Conv weight — codes, scales, zero points, 8-bit
 * layers, float layers — as `yoloq inspect` counts it, at most `bitsPerWeight` per parameter. Each blocked 4-bit
 * layer is stored at one of several block sizes or kept at 8 bits, chosen together by measured output noise
 * (bits-allocation.ts), with at least `minShare` of the Conv weight parameters left at 4 bits. Finer blocks go
 * where the noise they remove is worth their scales; the sensitivity budget alone (`--budget`) can only move whole
 * layers to 8 bits, which costs four bits per parameter where a finer block costs a fraction of one.
 */

/** The block sizes a layer may take (input elements per 4-bit scale). */
export const BUDGET_BLOCK_SIZES: readonly number[] = Object.freeze([16, 32, 64, 128]);

export interface BitsBudgetRequest {
  /** All-in bits per Conv weight parameter, at most. */
  bitsPerWeight: number;
  /** Share of Conv weight parameters that must stay at ≤ 4 bits (of every Conv weight, float ones included). */
  minShare: number;
  /** GPTQ will give the 4-bit grids zero points: counted in the cost. */
  asymmetric: boolean;
  blockScales?: BlockScaleRequest;
  narrow: boolean;
  blockSizes?: readonly number[];
  /** Width of the file's float scales and float weights: 32 (default), 16 in the FP16 W4A16 graph. */
  floatBits?: 16 | 32;
}

interface Candidate {
  decision: WeightDecision;
  /** The layer's ways: 4-bit at each distinct block count, then 8-bit per-channel. */
  ways: WeightDecision[];
}

export interface BitsBudgetLayout {
  candidates: Candidate[];
  /** Bits of the Conv weights the budget does not choose for (8-bit stem and prediction layers, float layers). */
  fixedBits: number;
  /** Their parameters at ≤ 4 bits. */
  fixedLow: number;
  /** Every Conv weight parameter of the model. */
  allParams: number;
}

const costOptions = (req: BitsBudgetRequest) => ({ asymmetric: req.asymmetric, scaleBits: req.floatBits ?? 32 });

const params = (d: WeightDecision) => d.shape.reduce((a, b) => a * b, 1);

/** The ways each blocked 4-bit Conv can be stored, and what the rest of the model's Conv weights cost. */
export function bitsBudgetLayout(
  targets: readonly QuantTarget[],
  decisions: readonly WeightDecision[],
  req: BitsBudgetRequest,
): BitsBudgetLayout {
  const byNode = new Map(targets.map((t) => [t.node, t]));
  const floatParams = floatConvParams(targets, decisions);
  let fixedBits = floatParams * (req.floatBits ?? 32);
  let fixedLow = 0;
  let allParams = floatParams;
  const candidates: Candidate[] = [];
  for (const d of decisions) {
    if (d.opType !== 'Conv') continue;
    allParams += params(d);
    if (d.bits > 4 || d.granularity.kind !== 'blocked') {
      fixedBits += decisionBits(d, costOptions(req));
      if (d.bits <= 4) fixedLow += params(d);
      continue;
    }
    const t = byNode.get(d.node)!;
    const ways: WeightDecision[] = [];
    for (const blockSize of [...(req.blockSizes ?? BUDGET_BLOCK_SIZES)].sort((a, b) => a - b)) {
      const way = rtnDecision(
        t,
        d.bits,
        { kind: 'blocked', blockSize },
        { narrow: req.narrow, ...(req.blockScales ? { blockScales: req.blockScales } : {}) },
        `${d.reason}, block:${blockSize} chosen under the ${req.bitsPerWeight}-bit budget`,
      );
      // A coarser block that leaves as many scales (a row shorter than both) is the same storage.
      if (ways.every((w) => w.scales.length !== way.scales.length)) ways.push(way);
    }
    const eight = keepAtEightBits([d], targets, [d.node])[0]!;
    ways.push({ ...eight, reason: `sensitivity: kept at 8 bits under the ${req.bitsPerWeight}-bit budget` });
    candidates.push({ decision: d, ways });
  }
  return { candidates, fixedBits, fixedLow, allParams };
}

function allocLayers(layout: BitsBudgetLayout, req: BitsBudgetRequest, noise: (way: WeightDecision) => number): AllocLayer[] {
  return layout.candidates.map((c) => ({
    node: c.decision.node,
    params: params(c.decision),
    options: c.ways.map((w) => ({ bits: decisionBits(w, costOptions(req)), noise: noise(w), low: w.bits <= 4 })),
  }));
}

function limits(layout: BitsBudgetLayout, req: BitsBudgetRequest) {
  return {
    bits: req.bitsPerWeight * layout.allParams - layout.fixedBits,
    lowParams: req.minShare * layout.allParams - layout.fixedLow,
  };
}

/** Refuses (InputError) a budget that even every layer's coarsest block cannot meet — checked before any image is read. */
export function checkBitsBudget(layout: BitsBudgetLayout, req: BitsBudgetRequest): void {
  if (layout.candidates.length === 0)
    throw new InputError('--bits chooses 4-bit block sizes: the plan has no Conv with blocked 4-bit scales to choose for');
  const most = layout.fixedLow + layout.candidates.reduce((s, c) => s + params(c.decision), 0);
  if (most < req.minShare * layout.allParams)
    throw new InputError(
      `--bits with a least 4-bit share of ${req.minShare}: at most ${(most / layout.allParams).toFixed(3)} of this model's Conv weight parameters can be at 4 bits (the rest stay at 8 bits or float); give a lower --budget`,
    );
  const fits = allocateBits(
    allocLayers(layout, req, () => 0),
    limits(layout, req),
  );
  if (fits) return;
  const coarsest = layout.candidates.reduce(
    (s, c) => s + Math.min(...c.ways.filter((w) => w.bits <= 4).map((w) => decisionBits(w, costOptions(req)))),
    layout.fixedBits,
  );
  throw new InputError(
    `--bits ${req.bitsPerWeight}: the fewest this model's Conv weights can take is ${(coarsest / layout.allParams).toFixed(3)} bits per weight (every 4-bit layer at its coarsest block, ${req.asymmetric ? 'zero points included, ' : ''}float${req.floatBits ?? 32} scales)`,
  );
}

export interface BitsBudgetResult {
  decisions: WeightDecision[];
  /** All-in bits per Conv weight the choice spends (before rounding; rounding does not change storage). */
  bitsPerWeight: number;
  /** Share of Conv weight parameters at ≤ 4 bits. */
  fourBitShare: number;
  /** Layers per chosen way: 'block:16', …, '8-bit'. */
  ways: Record<string, number>;
  note?: string;
}

/** What `quantize --json` reports of a bits budget. */
export interface BitsBudgetSummary {
  target: number;
  /** Width the budget counted float scales at (16: the FP16 W4A16 graph). */
  floatBits: 16 | 32;
  bitsPerWeight: number;
  fourBitShare: number;
  ways: Record<string, number>;
}

/** Measure each way's output noise and spend the budget (see the module comment). */
export async function applyBitsBudget(
  work: Model,
  targets: readonly QuantTarget[],
  decisions: readonly WeightDecision[],
  req: BitsBudgetRequest,
  options: {
    inputs: ReadonlyArray<Record<string, HostTensor>>;
    threads?: number;
    onProgress?: (stage: string, done: number, total: number) => void;
  },
): Promise<BitsBudgetResult> {
  const layout = bitsBudgetLayout(targets, decisions, req);
  checkBitsBudget(layout, req);
  const probes = layout.candidates.flatMap((c) => c.ways.filter((w) => w.bits <= 4));
  const { measured, fields, note } = sensitivityTarget(
    work,
    layout.candidates.map((c) => c.decision),
  );
  const measuredNoise = await measureSensitivity(measured, probes, options.inputs, {
    fields,
    threads: options.threads,
    onProgress: (n, t) => options.onProgress?.('sensitivity', n, t),
  });
  const noiseOf = new Map(probes.map((p, i) => [p, measuredNoise[i]!.noise]));
  const allocation = allocateBits(
    allocLayers(layout, req, (w) => noiseOf.get(w) ?? 0),
    limits(layout, req),
  )!;
  const chosen = new Map(layout.candidates.map((c, i) => [c.decision.node, c.ways[allocation.choice[i]!]!]));
  const ways: Record<string, number> = {};
  for (const w of chosen.values()) {
    const key = w.bits > 4 ? '8-bit' : `block:${w.granularity.kind === 'blocked' ? w.granularity.blockSize : 0}`;
    ways[key] = (ways[key] ?? 0) + 1;
  }
  return {
    decisions: decisions.map((d) => chosen.get(d.node) ?? d),
    bitsPerWeight: (layout.fixedBits + allocation.bits) / layout.allParams,
    fourBitShare: (layout.fixedLow + allocation.lowParams) / layout.allParams,
    ways,
    ...(note ? { note } : {}),
  };
}

/** One line for the user: what the budget bought. */
export function bitsBudgetLine(target: number, r: BitsBudgetResult, floatBits: 16 | 32 = 32): string {
  const ways = Object.entries(r.ways)
    .sort(([a], [b]) => wayOrder(a) - wayOrder(b))
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  return `bits budget ${target}: ${r.bitsPerWeight.toFixed(3)} bits per Conv weight planned (float${floatBits} scales), ${(100 * r.fourBitShare).toFixed(1)}% of Conv weight parameters at 4 bits; chosen layers: ${ways}`;
}

function wayOrder(key: string): number {
  return key === '8-bit' ? Infinity : Number(key.slice('block:'.length));
}
