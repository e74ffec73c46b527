import { InputError } from '../../errors.js';
import { checkModel } from '../../check/check-model.js';
import { loadModel } from '../../onnx/serde/model-io.js';
import { onePositional, type Command } from '../command.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'find what ONNX Runtime would reject, before it does',
  usage: 'yoloq check <model.onnx> [--json]',
  options: {},
  details: [
    'Checks dangling inputs, cycles, duplicate names, opset imports and op versions, IR version, initializer sizes,',
    'Q/DQ and Clip type rules, and 4-bit types below opset 21; each finding names its node.',
    'Exit code: 0 when the model passes (warnings allowed), 2 when it has errors or cannot be read.',
    '',
  ],
  async run(args, io) {
    const path = onePositional(this, args, 'model file');
    const result = checkModel(loadModel(path));
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
