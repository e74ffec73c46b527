import { InputError } from '../../errors.js';
import { checkDistinctPaths, checkOutputPath } from '../../io/atomic-write.js';
import { FORMAT_CAPABILITIES, formatFromOptions } from '../../export/formats.js';
import { sha256 } from '../../util/sha256.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { modelFromBytes, saveModel } from '../../onnx/serde/model-io.js';
import { checkPlanFits } from '../../quant/formats/capabilities.js';
import { readPlanFiles } from '../../quant/plan-file.js';
import { applyPlan, planWorkingGraph, type ActivationDtype } from '../../workflow/quantize.js';
import { applyTargetDefaults } from './target-options.js';
import { onePositional, stringOpt, type Command } from '../command.js';
import { readModelBytes } from '../read-input.js';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'apply a saved QuantPlan to the float model it was made for',
  usage:
    'yoloq apply --plan plan.json <model.onnx> -o out.onnx [--target ort-cpu|ort-cpu-integer|ort-cuda|tensorrt|brevitas] [--format qcdq|qdq|int4|int4-cuda|int4-compact|int4-compact-fp8] [--act-dtype fp16|fp32]',
  options: {
    target: { type: 'string' },
    plan: { type: 'string' },
    format: { type: 'string' },
    'cuda-layout': { type: 'boolean' },
    'act-dtype': { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  details: [
    'Rebuilds the quantized model from the plan alone (no calibration), in any format that can carry it, with',
    'identical numerics, and both W4A16 twins (--act-dtype fp16 for GPUs, fp32 for CPU). A per-channel plan',
    '(--format qcdq/qdq, or --granularity per-channel) gives QCDQ, QDQ and INT4; a plan with blocked scales (the',
    'default recipe in --format int4) needs int4 or int4-cuda, and any other format is refused with exit 2.',
    '--cuda-layout is the same as --format int4-cuda. --target T picks the format and A16 dtype that runtime needs,',
    'and refuses a plan with zero points for a symmetric-only target (tensorrt, brevitas).',
    "The plan records the float model's SHA-256; another model is refused. A plan is its JSON file and, beside it,",
    'the .safetensors sidecar holding its codes and scales (a single-file plan with inline arrays reads too).',
    '',
  ],
  async run(args, io) {
    const modelPath = onePositional(this, args, 'float model');
    const planPath = stringOpt(args, 'plan');
    const out = stringOpt(args, 'output');
    if (!planPath) throw new InputError('give the plan with --plan');
    if (!out) throw new InputError('give the output file with -o');
    checkOutputPath(out, '-o');
    checkDistinctPaths([
      ['the model', modelPath],
      ['--plan', planPath],
      ['-o', out],
    ]);
    const plan = readPlanFiles(planPath);
    const bytes = readModelBytes(modelPath);
    if (plan.modelSha256 && plan.modelSha256 !== sha256(bytes)) {
      throw new InputError(
        `plan ${planPath} was made for another model (SHA-256 ${plan.modelSha256.slice(0, 12)}…, ${modelPath} is ${sha256(bytes).slice(0, 12)}…)`,
      );
    }
    const target = applyTargetDefaults(args, plan.scheme, { planning: false });
    const asym = target?.symmetricWeights ? plan.weights.find((w) => w.zeroPoints?.some((z) => z !== 0)) : undefined;
    if (asym)
      throw new InputError(
        `plan weight ${asym.node} has zero points: --target ${target!.name} takes only symmetric weights; re-plan with --target ${target!.name}`,
      );
    const format = formatFromOptions(stringOpt(args, 'format'), Boolean(args.values['cuda-layout']));
    checkPlanFits(format, FORMAT_CAPABILITIES, plan);
    const act = stringOpt(args, 'act-dtype');
    if (act !== undefined && act !== 'fp16' && act !== 'fp32') throw new InputError(`--act-dtype ${act}: expected fp16 or fp32`);
    const model = applyPlan(planWorkingGraph(modelFromBytes(bytes, modelPath), plan), plan, {
      format,
      ...(act ? { actDtype: act as ActivationDtype } : {}),
    });
    saveModel(model, out);
    const r = inspectModel(model);
    const summary = {
      input: modelPath,
      plan: planPath,
      output: out,
      scheme: plan.scheme,
      format,
      percentConvParamsAt4Bits: r.conv.percentAt4Bits,
    };
    io.out(
      args.values.json
        ? JSON.stringify(summary, null, 2)
        : `${out}: ${plan.scheme} ${format} from ${planPath}; ${r.conv.percentAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits`,
    );
    return 0;
  },
};
