import { statSync } from 'node:fs';
import { assertInspectable, inspectModel } from '../../inspect/inspect-model.js';
import { formatInspectReport } from '../../inspect/format-report.js';
import { loadModel } from '../../onnx/serde/model-io.js';
import { onePositional, type Command } from '../command.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'what is inside an ONNX model, and which Conv weights are really 4-bit',
  usage: 'yoloq inspect <model.onnx> [--json]',
  options: {},
  details: [
    'Prints opsets, the YOLO family yoloq detects (from the output layout and ultralytics metadata; "unknown" when',
    'none fits), inputs/outputs, an op histogram, the parameter count, and a table of every Conv / ConvTranspose /',
    'Gemm / MatMul weight: shape, storage type, effective bits, format (float, qdq, qcdq, int4) and granularity',
    '(per-tensor, per-channel axis, block size) with scale statistics; then the share of Conv weight parameters at',
    '4 bits. Weights are read by the plan reader `yoloq convert` uses: bits come from a QCDQ Clip range or the storage',
    'type, or are 4 when the stored codes fit 4 bits, so a 4-bit weight carried in int8 counts as 4-bit.',
    '',
  ],
  async run(args, io) {
    const path = onePositional(this, args, 'model file');
    const model = loadModel(path);
    assertInspectable(model, path);
    const report = inspectModel(model, { path, bytes: statSync(path).size });
    io.out(args.values.json ? JSON.stringify(report, null, 2) : formatInspectReport(report));
    return 0;
  },
};
