import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import type { EvalSetSpec } from '../eval/evaluate-model.js';
import type { CalibrationSource } from '../quant/calibration/samples.js';
import { cachedSplit } from '../synthetic/dataset.js';
import type { RunConfig } from './config.js';
import { runPythonModule } from './python-stage.js';
import { fileSha256, readStage, stageKey, writeStage, type RunPaths } from './run-folder.js';
import type { OnProgress } from '../util/progress.js';
import { loadModelBytes } from '../onnx/serde/model-io.js';

/**
 * What a run measures on: the source model (an ONNX file; an ultralytics .pt is exported to ONNX first by the
 * Python stage), the evaluation set and the calibration images. With no model given, the embedded default
 * (assets/default/shapes-yolov10.onnx, trained on yoloq's own synthetic shapes) and synthetic evaluation and
 * calibration splits generated deterministically into the cache folder — nothing is downloaded.
 */

/** The repository (or installed package) root: dist/src/pipeline → three folders up. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const DEFAULT_MODEL = join('assets', 'default', 'shapes-yolov10.onnx');

/** $YOLOQ_CACHE_DIR, else $XDG_CACHE_HOME/yoloq, else ~/.cache/yoloq. */
export function cacheDir(): string {
  return process.env.YOLOQ_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'yoloq');
}

export interface RunInputs {
  /** The ONNX file every variant is made from. */
  sourcePath: string;
  sourceBytes: Uint8Array;
  sourceSha256: string;
  /** What the Python stage should load for QAT: the user's .pt, else the source ONNX. */
  trainableModel: string;
  evalSet: EvalSetSpec & { coco: string };
  /** A fingerprint of the evaluation set for stage keys. */
  evalKey: string;
  datasetLabel: string;
  calibration?: CalibrationSource;
  calibKey: string;
  isDefault: boolean;
}

function mustExist(path: string, what: string): void {
  if (!existsSync(path)) throw new InputError(`${what} ${path} does not exist`);
}

async function exportPt(pt: string, paths: RunPaths, repoRoot: string, onProgress: OnProgress): Promise<string> {
  const out = join(paths.root, 'onnx', 'source.onnx');
  const key = stageKey({ pt: fileSha256(pt) });
  const rec = join(paths.root, 'metrics', 'source.export.json');
  if (readStage(rec, key, [out])) return out;
  onProgress(`exporting ${pt} to ONNX (ultralytics, Python stage)`, 0, 0);
  const script = join(repoRoot, 'python', 'train_default', 'export_onnx.py');
  await runPythonModule(repoRoot, 'train_default.export_onnx', ['--model', resolve(pt), '--out', resolve(out)]).catch((e: unknown) => {
    throw new InputError(`cannot export ${pt} to ONNX with ${script}: ${(e as Error).message}`);
  });
  writeStage(rec, key, { pt });
  return out;
}

export async function resolveInputs(cfg: RunConfig, paths: RunPaths, repoRoot: string, onProgress: OnProgress): Promise<RunInputs> {
  const isDefault = cfg.model === undefined;
  let sourcePath = isDefault ? join(repoRoot, DEFAULT_MODEL) : cfg.model!;
  mustExist(sourcePath, 'model');
  const trainableModel = resolve(sourcePath);
  if (extname(sourcePath).toLowerCase() === '.pt') sourcePath = await exportPt(sourcePath, paths, repoRoot, onProgress);
  if (!statSync(sourcePath).isFile()) throw new InputError(`model ${sourcePath} is not a file`);
  // Self-contained: a model with external data is read with its side files (relative to the model file).
  const sourceBytes = loadModelBytes(sourcePath);
  if (isDefault) {
    const val = await cachedSplit(cacheDir(), 'val', cfg.syntheticVal, cfg.syntheticSeed, (d, t) =>
      onProgress('generating synthetic val images', d, t),
    );
    const calib = await cachedSplit(cacheDir(), 'calib', cfg.syntheticCalib, cfg.syntheticSeed, (d, t) =>
      onProgress('generating synthetic calibration images', d, t),
    );
    return {
      sourcePath,
      sourceBytes,
      sourceSha256: fileSha256(sourcePath),
      trainableModel,
      isDefault,
      evalSet: { coco: val.instances, images: val.images },
      evalKey: stageKey({ synthetic: 'val', n: cfg.syntheticVal, seed: cfg.syntheticSeed, json: fileSha256(val.instances) }),
      datasetLabel: `yoloq's synthetic shapes (val split, seed ${cfg.syntheticSeed})`,
      calibration: { images: calib.images, count: cfg.calibCount, seed: cfg.seed },
      calibKey: stageKey({ synthetic: 'calib', n: cfg.syntheticCalib, seed: cfg.syntheticSeed, count: cfg.calibCount, drawSeed: cfg.seed }),
    };
  }
  const coco = cfg.coco!;
  mustExist(coco, 'COCO instances file');
  const images = cfg.images ?? dirname(coco);
  mustExist(images, 'image folder');
  if (cfg.calib !== undefined) mustExist(cfg.calib, 'calibration folder');
  return {
    sourcePath,
    sourceBytes,
    sourceSha256: fileSha256(sourcePath),
    trainableModel,
    isDefault,
    evalSet: { coco, images, ...(cfg.maxImages ? { maxImages: cfg.maxImages } : {}) },
    evalKey: stageKey({ json: fileSha256(coco), images: resolve(images), maxImages: cfg.maxImages ?? null }),
    datasetLabel: `${coco}${cfg.maxImages ? ` (first ${cfg.maxImages} images)` : ''}`,
    ...(cfg.calib !== undefined ? { calibration: { images: cfg.calib, count: cfg.calibCount, seed: cfg.seed } } : {}),
    calibKey: stageKey({ calib: cfg.calib ? resolve(cfg.calib) : null, count: cfg.calibCount, seed: cfg.seed }),
  };
}
