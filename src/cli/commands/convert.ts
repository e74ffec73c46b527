import { InputError } from '../../errors.js';
import { convertToInt4 } from '../../export/convert-to-int4.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { loadModel, saveModel } from '../../onnx/serde/model-io.js';
import { onePositional, stringOpt, type Command } from '../command.js';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'rewrite a QCDQ/QDQ model (yoloq\'s or Brevitas\') into native INT4, weights bit-exact',
  usage: 'yoloq convert --to int4 <model.onnx> -o out.onnx [--cuda-layout]',
  options: { to: { type: 'string' }, 'cuda-layout': { type: 'boolean' }, output: { type: 'string', short: 'o' } },
  details: [
    'Every weight DequantizeLinear whose codes fit 4 bits (int8 → Clip, float → QuantizeLinear → Clip, or int8',
    'codes within [-8, 7]) reads a packed INT4 initializer instead; scales, axes and activation Q/DQ are kept, the',
    'opset becomes 21. --cuda-layout stores per-channel weights 2-D with blocked DequantizeLinear (ORT CUDA EP).',
    '',
  ],
  async run(args, io) {
    const path = onePositional(this, args, 'model file');
    if (stringOpt(args, 'to') !== 'int4') throw new InputError('--to int4 is the only conversion (give --to int4)');
    const out = stringOpt(args, 'output');
    if (!out) throw new InputError('give the output file with -o');
    const result = convertToInt4(loadModel(path), { cudaLayout: Boolean(args.values['cuda-layout']) });
    saveModel(result.model, out);
    const r = inspectModel(result.model);
    const summary = { input: path, output: out, converted: result.converted.length, kept: result.kept, percentConvParamsAt4Bits: r.conv.percentAt4Bits };
    io.out(args.values.json ? JSON.stringify(summary, null, 2)
      : `${out}: ${result.converted.length} weights now INT4, ${result.kept.length} kept; ${r.conv.percentAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits`);
    return 0;
  },
};
