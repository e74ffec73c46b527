import { InputError } from '../../errors.js';
import { checkModel } from '../../check/check-model.js';
import { targetByName } from '../../export/targets.js';
import { loadModel } from '../../onnx/serde/model-io.js';
import { onePositional, stringOpt, type Command } from '../command.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'find what ONNX Runtime would reject, before it does',
  usage: 'yoloq check <model.onnx> [--target ort-cpu|ort-cpu-integer|ort-cuda|tensorrt|brevitas] [--json]',
  options: { target: { type: 'string' } },
  details: [
    'Checks dangling inputs, cycles, duplicate names, opset imports and op versions, IR version, initializer sizes,',
    'Q/DQ and Clip type rules, 4-bit types below opset 21, and NaN/Inf in weights (which ORT runs, into NaN boxes);',
    'each finding names its node.',
    '--target T adds what that runtime refuses or runs slowly: tensorrt (non-zero zero points, block quantization of',
    'a weight that is not 2-D, INT4 weights on a Conv), ort-cuda (per-axis INT4 DequantizeLinear: only blocked runs),',
    'ort-cpu and ort-cpu-integer (FP16 Convs, INT4 weights plain ORT dequantizes on every run), brevitas (INT4 instead',
    'of int8 + Clip).',
    'Exit code: 0 when the model passes (warnings allowed), 2 when it has errors or cannot be read.',
    '',
  ],
  async run(args, io) {
    const path = onePositional(this, args, 'model file');
    const target = stringOpt(args, 'target');
    const result = checkModel(loadModel(path), target === undefined ? {} : { target: targetByName(target).name });
    if (args.values.json) io.out(JSON.stringify({ file: path, ...result }, null, 2));
    else {
      for (const f of result.findings) io.out(`${f.severity}: [${f.rule}]${f.node ? ` ${f.node}:` : ''} ${f.message}`);
      io.out(`${path}: ${result.errors} error(s), ${result.warnings} warning(s)`);
    }
    if (result.errors > 0) {
      const first = result.findings.find((f) => f.severity === 'error')!;
      throw new InputError(
        `${path} would be rejected: ${result.errors} error(s), first: ${first.node ? `${first.node}: ` : ''}${first.message}`,
      );
    }
    return 0;
  },
};
