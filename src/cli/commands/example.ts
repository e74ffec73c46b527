import { statSync } from 'node:fs';
import { join } from 'node:path';
import { checkModel } from '../../check/check-model.js';
import { buildTinyDetector, EXAMPLE_FORMATS } from '../../examples/tiny-detector.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { modelToBytes, saveModel } from '../../onnx/serde/model-io.js';
import { seededRandom } from '../../quant/rounding.js';
import { createSession } from '../../runtime/session.js';
import { stringOpt, type Command } from '../command.js';
import { formatTable } from '../../util/format-table.js';
import { checkOutputFolder } from '../../io/atomic-write.js';

export const exampleCommand: Command = {
  name: 'example',
  summary: 'write the built-in example model in every weight format, then check, inspect and run each',
  usage: 'yoloq example [-o yoloq-example] [--json]',
  options: { output: { type: 'string', short: 'o' } },
  details: [
    'The example is a tiny YOLO-stem-shaped Conv network the project builds itself (no third-party weights), written',
    'as float, QCDQ, QCDQ quantized at run time, int8-carried 4-bit QDQ, native INT4, blocked INT4 (CUDA layout) and',
    'W8 QDQ. Each file is checked, inspected and run in ONNX Runtime on one seeded input; the table shows its size,',
    "its share of 4-bit Conv weights and how far its output is from the float model's.",
    '',
  ],
  async run(args, io) {
    const dir = stringOpt(args, 'output') ?? 'yoloq-example';
    checkOutputFolder(dir, '-o');
    const rnd = seededRandom(1);
    const input = {
      images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * 2 - 1) },
    };
    let reference: Float32Array | undefined;
    const rows = [];
    for (const format of EXAMPLE_FORMATS) {
      const model = buildTinyDetector(format);
      const path = join(dir, `tiny-${format}.onnx`);
      saveModel(model, path);
      const session = await createSession(modelToBytes(model), { threads: 1 });
      const out = (await session.run(input)).output!.data as Float32Array;
      await session.dispose();
      reference ??= out;
      let err = 0;
      for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i]! - reference[i]!));
      const r = inspectModel(model);
      rows.push({
        format,
        file: path,
        bytes: statSync(path).size,
        checkErrors: checkModel(model).errors,
        percentAt4Bits: r.conv.percentAt4Bits,
        storage: r.weights[0]?.storage ?? '',
        maxAbsDiffVsFloat: err,
      });
    }
    if (args.values.json) io.out(JSON.stringify({ dir, variants: rows }, null, 2));
    else {
      io.out(
        formatTable(
          ['format', 'file', 'bytes', 'check errors', '% Conv params at 4 bits', 'weight storage', 'max |Δ| vs float'],
          rows.map((r) => [
            r.format,
            r.file,
            r.bytes,
            r.checkErrors,
            r.percentAt4Bits.toFixed(0),
            r.storage,
            r.maxAbsDiffVsFloat.toExponential(2),
          ]),
        ),
      );
      io.out(`\nNext: yoloq inspect ${rows[4]!.file}   (see README.md for quantizing a real YOLO model)`);
    }
    return 0;
  },
};
