import { statSync } from 'node:fs';
import { checkModel } from '../check/check-model.js';
import { convertToInt4 } from '../export/convert-to-int4.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { loadModel, saveModel } from '../onnx/serde/model-io.js';
import type { FamilyName } from '../yolo/families/index.js';
import { cocoMap, type CocoMapResult } from './coco-map.js';

/**
 * What yoloq does with the Brevitas export: `check` it, `inspect` its weights, rewrite it as native INT4 (`convert
 * --to int4`) and, when asked, measure COCO mAP. The export must pass all of these: a check error is an Error.
 */

export interface PostStageRequest {
  qcdq: string;
  /** Where the INT4 twin goes; undefined: no conversion. */
  int4?: string;
  eval?: { instances: string; images?: string; family?: FamilyName; threads?: number; onProgress?: (done: number, total: number) => void };
}

export interface PostStageResult {
  check: { errors: number; warnings: number };
  inspect: { percentConvParamsAt4Bits: number; weightBits: Record<string, number>; bytes: number };
  int4?: { path: string; converted: number; kept: number; bytes: number };
  eval?: CocoMapResult;
}

export async function postStage(req: PostStageRequest): Promise<PostStageResult> {
  const model = loadModel(req.qcdq);
  const check = checkModel(model);
  const errors = check.findings.filter((f) => f.severity === 'error');
  if (check.errors > 0)
    throw new Error(
      `the Brevitas export fails yoloq check: ${errors
        .map((f) => f.message)
        .slice(0, 3)
        .join('; ')}`,
    );
  const report = inspectModel(model);
  const weightBits: Record<string, number> = {};
  for (const w of report.weights) weightBits[String(w.bits ?? 'float')] = (weightBits[String(w.bits ?? 'float')] ?? 0) + 1;
  const out: PostStageResult = {
    check: { errors: 0, warnings: check.warnings },
    inspect: { percentConvParamsAt4Bits: report.conv.percentAt4Bits, weightBits, bytes: statSync(req.qcdq).size },
  };
  if (req.int4) {
    const conv = convertToInt4(model);
    saveModel(conv.model, req.int4);
    out.int4 = { path: req.int4, converted: conv.converted.length, kept: conv.kept.length, bytes: statSync(req.int4).size };
  }
  if (req.eval) {
    const { instances, images, family, threads, onProgress } = req.eval;
    out.eval = await cocoMap(req.qcdq, instances, {
      ...(images ? { images } : {}),
      ...(family ? { family } : {}),
      ...(threads ? { threads } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  }
  return out;
}
