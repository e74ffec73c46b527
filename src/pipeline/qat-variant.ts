import { join } from 'node:path';
import { writeImageTensors } from '../brevitas/image-tensors.js';
import { calibrationSet, type CalibrationSource } from '../quant/calibration/samples.js';
import { convertToInt4 } from '../export/convert-to-int4.js';
import { loadModel, modelFromBytes, saveModel } from '../onnx/serde/model-io.js';
import type { EpName } from '../runtime/ep-table.js';
import { detectFamily, modelSignature } from '../yolo/detect.js';
import type { BuildRecord } from './build-variant.js';
import { DEFAULT_FORMATS } from './config.js';
import { runPythonStage } from '../brevitas/run-stage.js';
import { pythonEnvOf } from './python-stage.js';
import type { OnProgress } from '../util/progress.js';

/**
 * The qat-w4a8 variant: Brevitas PTQ + QAT in the Python stage (python/yoloq_brevitas), fed the calibration
 * images letterboxed by yoloq's own preprocessing (brevitas/image-tensors.ts), exported as QCDQ and, where the EP's
 * 4-bit format is native INT4, converted to it by `convertToInt4` (bit-identical weights), so it is compared with
 * the PTQ W4A8 file in the same format.
 */

export interface QatRequest {
  repoRoot: string;
  /** The interpreter the probe found (python-stage.ts); default: the one lookup's for `repoRoot`, which is the same. */
  python?: string;
  /** The model the Python stage loads: the user's .pt when one was given, else the source ONNX. */
  model: string;
  sourceBytes: Uint8Array;
  calibration: CalibrationSource;
  workDir: string;
  out: string;
  ep: EpName;
  steps: number;
  seed: number;
  threads: number;
  onProgress?: OnProgress;
}

export async function buildQatVariant(req: QatRequest): Promise<BuildRecord> {
  const t0 = performance.now();
  const work = modelFromBytes(req.sourceBytes);
  const detected = detectFamily(modelSignature(work));
  const set = calibrationSet(work, req.calibration);
  const data = join(req.workDir, 'data');
  await writeImageTensors({
    images: set.paths,
    letterbox: detected.adapter.letterboxOptions(detected.input),
    outDir: data,
    family: detected.family,
    onProgress: (d, t) => req.onProgress?.('qat data', d, t),
  });
  const qcdq = join(req.workDir, 'qat-w4a8.qcdq.onnx');
  const py = pythonEnvOf(req.repoRoot);
  await runPythonStage(
    req.python ? { ...py, python: req.python } : py,
    [
      '--model',
      req.model,
      '--data',
      data,
      '-o',
      qcdq,
      '--scheme',
      'w4a8',
      '--steps',
      String(req.steps),
      '--seed',
      String(req.seed),
      '--threads',
      String(req.threads),
      '--checkpoint',
      join(req.workDir, 'checkpoint.pt'),
      '--resume',
    ],
    {
      onProgress: (e) =>
        req.onProgress?.(`qat ${e.stage}`, e.step, e.total, e.loss !== undefined ? `loss ${e.loss.toFixed(4)}` : undefined),
    },
  );
  const format = DEFAULT_FORMATS[req.ep].w4a8;
  const model = format === 'int4' ? convertToInt4(loadModel(qcdq), { cudaLayout: req.ep === 'cuda' }).model : loadModel(qcdq);
  saveModel(model, req.out);
  return { scheme: 'w4a8', format: format === 'int4' ? 'int4' : 'qcdq', seconds: (performance.now() - t0) / 1000 };
}
