import { InputError } from '../../errors.js';
import { readModelBytes } from '../read-input.js';
import { checkOutputPath, writeFileAtomic } from '../../io/atomic-write.js';
import { findQuantTargets } from '../../quant/policy/targets.js';
import { planWeightsRtn } from '../../quant/policy/weight-policy.js';
import { chooseKept, floatConvParams, sensitivityInputs, sensitivityTarget } from '../../quant/policy/sensitivity-budget.js';
import { measureSensitivity } from '../../quant/policy/sensitivity.js';
import { openCalibration } from '../../quant/calibration/samples.js';
import { workingGraph } from '../../quant/working-graph.js';
import { SCHEMES } from '../../quant/scheme.js';
import { modelFromBytes } from '../../onnx/serde/model-io.js';
import { numberOpt, stringOpt, type Command } from '../command.js';
import { skippedImagesLine } from '../../data/skipped.js';

/** `yoloq sensitivity`: rank layers by how much 4-bit quantization of each alone moves the outputs. */
export const sensitivityCommand: Command = {
  name: 'sensitivity',
  summary: 'rank Conv layers by 4-bit sensitivity (one layer at a time, output SQNR); choose 8-bit layers under a budget',
  usage: 'yoloq sensitivity --model in.onnx --calib <images dir> [--images 8] [--budget 0.9] [--json] [-o ranking.json]',
  options: {
    model: { type: 'string' },
    calib: { type: 'string' },
    images: { type: 'string' },
    seed: { type: 'string' },
    strict: { type: 'boolean' },
    budget: { type: 'string' },
    bits: { type: 'string' },
    threads: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  details: [
    '  --calib DIR         calibration images (never the evaluation set)',
    '  --images N          images the outputs are compared on (default 8), drawn with --seed (default 0)',
    '  --strict            an unreadable image is an error (exit 2) instead of a skip named on stderr',
    '  --bits B            bits each layer is tried at (default 4)',
    '  --budget F          also choose the layers kept at 8 bits so that F of the Conv weight parameters stay at 4',
    "  --threads N         ONNX Runtime intra-op threads (default: ORT's choice)",
    '  -o, --output FILE   write the JSON result',
    '',
  ],
  async run(args, io) {
    const bytes = readModelBytes(stringOpt(args, 'model'));
    const calib = stringOpt(args, 'calib');
    if (!calib) throw new InputError('give calibration images with --calib');
    if (stringOpt(args, 'output') !== undefined) checkOutputPath(stringOpt(args, 'output')!, '-o');
    const work = workingGraph(modelFromBytes(bytes));
    const targets = findQuantTargets(work);
    const { weights } = planWeightsRtn(targets, SCHEMES.w4a16);
    const candidates = weights.filter((d) => d.bits <= 4 && d.opType === 'Conv');
    const count = numberOpt(args, 'images', 8, { min: 1, integer: true });
    const calibration = openCalibration(work, {
      images: calib,
      count,
      seed: numberOpt(args, 'seed', 0, { min: 0, integer: true }),
      ...(args.values.strict ? { strict: true } : {}),
    });
    if (calibration.note) io.note(calibration.note);
    const inputs = await sensitivityInputs(calibration, count);
    const { measured, fields, note } = sensitivityTarget(work, candidates);
    if (note) io.note(note);
    const layers = await measureSensitivity(measured, candidates, inputs, {
      fields,
      bits: numberOpt(args, 'bits', 4, { min: 2, max: 8, integer: true }),
      threads: numberOpt(args, 'threads', 0, { min: 0, integer: true }),
      onProgress: (n, t) => io.progress('sensitivity', n, t),
    });
    io.progress('');
    if (calibration.skipped.length > 0) io.note(`yoloq: ${skippedImagesLine('calibration', calibration.skipped)}`);
    const ranked = [...layers].sort((a, b) => b.noisePerMParam - a.noisePerMParam);
    const budget = stringOpt(args, 'budget') === undefined ? undefined : numberOpt(args, 'budget', 0.9, { min: 0, max: 1 });
    const choice = budget === undefined ? undefined : chooseKept(weights, layers, budget, floatConvParams(targets, weights));
    const result = {
      model: stringOpt(args, 'model'),
      images: inputs.length,
      layers: ranked,
      ...(choice ? { budget, keptAt8Bits: choice.kept, fourBitShare: choice.fourBitShare } : {}),
    };
    const out = stringOpt(args, 'output');
    if (out) writeFileAtomic(out, `${JSON.stringify(result, null, 1)}\n`);
    if (args.values.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(
        [
          'layer | params | SQNR dB | noise per M params',
          ...ranked.map((l) => `${l.node} | ${l.params} | ${l.sqnrDb.toFixed(2)} | ${l.noisePerMParam.toExponential(3)}`),
        ].join('\n'),
      );
      if (choice)
        io.out(
          `kept at 8 bits (budget ${budget}): ${choice.kept.join(', ') || '(none)'}; ${(100 * choice.fourBitShare).toFixed(1)}% of Conv weight parameters at 4 bits`,
        );
    }
    return 0;
  },
};
