import { checkModel, type CheckResult } from '../check/check-model.js';
import { InputError, isInputError, oneLine } from '../errors.js';
import { dtypeName } from '../onnx/ir/dtypes.js';
import { isDefaultDomain, mainGraph, nodeLabel, type Dim, type Model, type ValueInfo } from '../onnx/ir/graph.js';
import { indexGraph } from '../onnx/ir/graph-index.js';
import { elementCount } from '../onnx/ir/tensor.js';
import { readWeights } from '../quant/read/read-weight.js';
import { meanBits, weightBitsPerElement } from './bits-per-weight.js';
import type { Granularity, ScaleStats, WeightFormat } from '../quant/read/weight-trace.js';
import { modelSignature, recognizeModel } from '../yolo/detect.js';
import type { FamilyName } from '../yolo/families/index.js';
const CONV_OPS = new Set(['Conv', 'ConvTranspose']);

export interface WeightRow {
  node: string;
  opType: string;
  /** Name of the stored tensor. */
  tensor: string;
  /** Stored shape (a blocked INT4 weight is stored 2-D and reshaped for the Conv). */
  shape: number[];
  params: number;
  storage: string;
  format: WeightFormat;
  bits: number;
  declaredBits: number;
  granularity: Granularity;
  /** True for blocked layouts with one block per row of a 2-D weight: numerically per-channel. */
  blockedPerChannel: boolean;
  scales?: ScaleStats;
  /** Non-zero weight zero points (asymmetric grid). */
  asymmetric?: boolean;
  /** All-in storage per weight element: codes + scales + zero points (+ block-scale codes), in bits. */
  bitsPerWeight: number;
  chain: string[];
}

export interface IoRow {
  name: string;
  dtype: string;
  shape: Dim[] | null;
}

export interface InspectReport {
  file?: string;
  fileBytes?: number;
  irVersion?: number;
  producer?: string;
  opsets: Array<{ domain: string; version: number | null }>;
  inputs: IoRow[];
  outputs: IoRow[];
  opHistogram: Record<string, number>;
  nodeCount: number;
  /** Elements of every initializer and Constant tensor. */
  parameterCount: number;
  metadata: Record<string, string>;
  /** The YOLO family yoloq detects (yolo/detect.ts: output layout and ultralytics metadata), or 'unknown'. */
  family: FamilyName | 'unknown';
  /** Why that family, or why none fits. */
  familyReason: string;
  weights: WeightRow[];
  conv: {
    weightParams: number;
    /** weight params (Conv/ConvTranspose) per effective bit width */
    paramsByBits: Record<string, number>;
    /** % of Conv weight parameters at 4 bits or fewer */
    percentAt4Bits: number;
  };
  /**
   * All-in bits per Conv weight parameter as stored: codes, scales, zero points, 8-bit and float layers included
   * (src/inspect/bits-per-weight.ts).
   */
  bitsPerWeight: number;
}

function io(v: ValueInfo): IoRow {
  return { name: v.name, dtype: v.type ? dtypeName(v.type.elemType) : 'unknown', shape: v.type?.shape ?? null };
}

/**
 * One row per weight, read by the same reader `readPlan` and `convert` use (src/quant/read): bits are the plan's
 * (the Clip range or storage width, or 4 when the stored codes fit 4 bits); a chain no plan can hold shows the bits
 * its stored values need.
 */
function weightRows(model: Model): WeightRow[] {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  return readWeights(graph, index).map(({ nodeIndex, trace, read }) => {
    const node = graph.nodes[nodeIndex]!;
    const g = trace.granularity;
    const asymmetric = read ? read.decision.zeroPoints !== undefined : trace.asymmetric;
    return {
      node: nodeLabel(node, nodeIndex),
      opType: node.opType,
      tensor: trace.source.name,
      shape: trace.source.dims,
      params: elementCount(trace.source.dims),
      storage: dtypeName(trace.source.dtype),
      format: trace.format,
      bits: read ? read.decision.bits : trace.effectiveBits,
      declaredBits: trace.declaredBits,
      granularity: g,
      blockedPerChannel: g.kind === 'blocked' && trace.source.dims.length === 2 && trace.source.dims[g.axis] === g.blockSize,
      ...(trace.scales ? { scales: trace.scales } : {}),
      ...(asymmetric ? { asymmetric: true } : {}),
      bitsPerWeight: weightBitsPerElement(graph, index, trace),
      chain: trace.chain,
    };
  });
}

function parameterCount(model: Model): number {
  const graph = mainGraph(model);
  let n = 0;
  for (const t of graph.initializers) n += elementCount(t.dims);
  for (const node of graph.nodes) {
    if (node.opType !== 'Constant') continue;
    for (const a of node.attributes) if (a.value.kind === 'tensor') n += elementCount(a.value.value.dims);
  }
  return n;
}

/** Everything `yoloq inspect` shows, as plain data (the CLI formats it). */
export function inspectModel(model: Model, file?: { path: string; bytes: number }): InspectReport {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const histogram: Record<string, number> = {};
  for (const n of graph.nodes) {
    const key = isDefaultDomain(n.domain) ? n.opType : `${n.domain}::${n.opType}`;
    histogram[key] = (histogram[key] ?? 0) + 1;
  }
  const weights = weightRows(model);
  const convRows = weights.filter((w) => CONV_OPS.has(w.opType));
  const byBits: Record<string, number> = {};
  let convParams = 0;
  let at4 = 0;
  for (const w of convRows) {
    convParams += w.params;
    byBits[String(w.bits)] = (byBits[String(w.bits)] ?? 0) + w.params;
    if (w.bits <= 4) at4 += w.params;
  }
  const report: InspectReport = {
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version ?? null })),
    inputs: index.realInputs.map(io),
    outputs: graph.outputs.map(io),
    opHistogram: Object.fromEntries(Object.entries(histogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    nodeCount: graph.nodes.length,
    parameterCount: parameterCount(model),
    metadata: Object.fromEntries(model.metadata),
    ...detectedFamily(model),
    weights,
    conv: { weightParams: convParams, paramsByBits: byBits, percentAt4Bits: convParams ? (100 * at4) / convParams : 0 },
    bitsPerWeight: meanBits(convRows),
  };
  if (file) {
    report.file = file.path;
    report.fileBytes = file.bytes;
  }
  if (model.irVersion !== undefined) report.irVersion = model.irVersion;
  if (model.producerName !== undefined) report.producer = `${model.producerName} ${model.producerVersion ?? ''}`.trim();
  return report;
}

/** The family as calibration and evaluation would detect it; 'unknown' (with why) when none fits or there is no image input. */
function detectedFamily(model: Model): Pick<InspectReport, 'family' | 'familyReason'> {
  try {
    const r = recognizeModel(modelSignature(model));
    return { family: r.family ?? 'unknown', familyReason: r.reason };
  } catch (e) {
    if (isInputError(e)) return { family: 'unknown', familyReason: oneLine(e) };
    throw e;
  }
}

/** Check rules whose errors leave nothing sensible to inspect (the graph has no order, or tensors cannot be read). */
const FATAL_RULES = new Set(['cycle', 'tensor-size', 'bad-dtype', 'bad-shape']);

/** Throws an InputError when `model` cannot be inspected meaningfully; returns the check result otherwise. */
export function assertInspectable(model: Model, label: string): CheckResult {
  const result = checkModel(model);
  const fatal = result.findings.find((f) => f.severity === 'error' && FATAL_RULES.has(f.rule));
  if (fatal) throw new InputError(`${label}: ${fatal.node ? `${fatal.node}: ` : ''}${fatal.message}`);
  return result;
}
