import { statSync } from 'node:fs';
import { evaluateModel, type EvalSetSpec } from '../eval/evaluate-model.js';
import type { CocoClassAp } from '../eval/coco/index.js';
import { streamPathFor } from '../eval/detection-stream.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { loadModel } from '../onnx/serde/model-io.js';
import { benchmark, type LatencyStats } from '../runtime/bench.js';
import type { EpName } from '../runtime/ep-table.js';
import { measurePlacement } from '../runtime/placement.js';
import { prepareModel } from '../runtime/prepare-model.js';
import type { OnProgress } from '../util/progress.js';

/**
 * Accuracy, latency and size of one model file, measured by the very library calls `yoloq eval`, `yoloq bench` and
 * `yoloq inspect` make, with their defaults (conf 0.001, class-aware NMS IoU 0.65, 300 detections; INT4 weights
 * prepared at load; placement from ORT's profile, then the timed runs). So the summary's mAP and sizes equal what
 * those commands print for the same file; latency is this run's measurement (it varies run to run).
 *
 * The functions are injectable (`MeasureDeps`) so a test can check that the numbers come from them.
 */

export interface MeasureDeps {
  evaluateModel: typeof evaluateModel;
  benchmark: typeof benchmark;
  measurePlacement: typeof measurePlacement;
}

export const LIBRARY_MEASURES: Readonly<MeasureDeps> = Object.freeze({ evaluateModel, benchmark, measurePlacement });

/** `yoloq eval`'s post-processing defaults. */
export const EVAL_POSTPROCESS = Object.freeze({ confThreshold: 0.001, iouThreshold: 0.65, maxDetections: 300 });

export interface EvalRecord {
  statNames: string[];
  /** The 12 COCO stats (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl). */
  stats: number[];
  perClass: CocoClassAp[];
  images: number;
  skipped: number;
  /** The skipped images, "path: reason". */
  skippedImages?: string[];
  imagesPerSecond: number;
  family: string;
  /** COCO results JSON of every detection (in the metrics folder). */
  detections: string;
  loadNote: string;
}

export interface BenchRecord {
  ep: string;
  threads: number;
  warmup: number;
  runs: number;
  sessionCreateMs: number;
  latencyMs: LatencyStats;
  throughput: number;
  peakRssBytes: number;
  /** Distinct nodes per ORT provider, from the profile. */
  providers: Record<string, number>;
}

export interface SizeRecord {
  bytes: number;
  percentConvParamsAt4Bits: number;
  convWeightParams: number;
  bitsPerWeight: number;
}

export interface MeasureOptions {
  ep: EpName;
  threads: number;
  onProgress?: OnProgress;
  /** Unreadable evaluation images are errors, not skips. */
  strict?: boolean;
  /** ORT sessions predicting at once in the evaluation (default 1). */
  workers?: number;
}

export async function measureAccuracy(
  model: string,
  set: EvalSetSpec,
  detectionsPath: string,
  o: MeasureOptions,
  deps: MeasureDeps = LIBRARY_MEASURES,
): Promise<EvalRecord> {
  // An evaluation the run was interrupted in continues from its stream; one made for other inputs starts over.
  const ev = await deps.evaluateModel(model, set, {
    ep: o.ep,
    threads: o.threads,
    ...(o.workers && o.workers > 1 ? { workers: o.workers } : {}),
    stream: streamPathFor(detectionsPath),
    resume: 'if-match',
    detectionsPath,
    raw: false,
    postprocess: { ...EVAL_POSTPROCESS },
    ...(o.strict ? { strict: true } : {}),
    onProgress: (p) => o.onProgress?.('evaluating', p.done, p.total, p.skipped ? `${p.skipped} skipped` : undefined),
  });
  const r = ev.result;
  return {
    statNames: [...r.statNames],
    stats: [...r.stats],
    perClass: [...r.perClass],
    images: ev.images,
    skipped: ev.skipped.length,
    ...(ev.skipped.length > 0 ? { skippedImages: ev.skipped.map((s) => `${s.path}: ${s.reason}`) } : {}),
    imagesPerSecond: ev.imagesPerSecond,
    family: ev.family,
    detections: detectionsPath,
    loadNote: ev.loadNote,
  };
}

export async function measureLatency(
  model: string,
  warmup: number,
  runs: number,
  o: MeasureOptions,
  deps: MeasureDeps = LIBRARY_MEASURES,
): Promise<BenchRecord> {
  const prepared = prepareModel(model, { raw: false });
  o.onProgress?.('placement', 0, 0);
  const placement = await deps.measurePlacement(prepared.source, { ep: o.ep, threads: o.threads });
  o.onProgress?.('session', 0, 0);
  const r = await deps.benchmark(prepared.source, {
    ep: o.ep,
    threads: o.threads,
    warmup,
    runs,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return {
    ep: r.ep,
    threads: r.threads,
    warmup: r.warmup,
    runs: r.runs,
    sessionCreateMs: r.sessionCreateMs,
    latencyMs: r.latencyMs,
    throughput: r.throughput,
    peakRssBytes: r.peakRssBytes,
    providers: placement.providers,
  };
}

/** File size and the share of Conv weight parameters at 4 bits, as `yoloq inspect` reports them. */
export function measureSize(model: string): SizeRecord {
  const report = inspectModel(loadModel(model));
  return {
    bytes: statSync(model).size,
    percentConvParamsAt4Bits: report.conv.percentAt4Bits,
    convWeightParams: report.conv.weightParams,
    bitsPerWeight: report.bitsPerWeight,
  };
}
