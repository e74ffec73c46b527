import { readFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../export/export-model.js';
import { sha256 } from '../../export/resolve-plan.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { modelFromBytes, saveModel } from '../../onnx/serde/model-io.js';
import { parsePlan } from '../../quant/plan.js';
import { applyPlan, planWorkingGraph, type ActivationDtype } from '../../quant/quantize-model.js';
import { onePositional, stringOpt, type Command } from '../command.js';
import { readModelBytes } from '../read-input.js';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'apply a saved QuantPlan to the float model it was made for',
  usage: 'yoloq apply --plan plan.json <model.onnx> -o out.onnx [--format qcdq|int4|qdq] [--cuda-layout] [--act-dtype fp16|fp32]',
  options: { plan: { type: 'string' }, format: { type: 'string' }, 'cuda-layout': { type: 'boolean' }, 'act-dtype': { type: 'string' }, output: { type: 'string', short: 'o' } },
  details: [
    'Rebuilds the quantized model from the plan alone (no calibration), in any format: the same plan gives',
    'QCDQ, INT4 and QDQ files with identical numerics, and both W4A16 twins (--act-dtype fp16 for GPUs, fp32 for CPU).',
    'The plan records the float model\'s SHA-256; another model is refused.',
    '',
  ],
  async run(args, io) {
    const modelPath = onePositional(this, args, 'float model');
    const planPath = stringOpt(args, 'plan');
    const out = stringOpt(args, 'output');
    if (!planPath) throw new InputError('give the plan with --plan');
    if (!out) throw new InputError('give the output file with -o');
    let text: string;
    try {
      text = readFileSync(planPath, 'utf8');
    } catch {
      throw new InputError(`cannot read plan ${planPath}`);
    }
    const plan = parsePlan(text);
    const bytes = readModelBytes(modelPath);
    if (plan.modelSha256 && plan.modelSha256 !== sha256(bytes)) {
      throw new InputError(`plan ${planPath} was made for another model (SHA-256 ${plan.modelSha256.slice(0, 12)}…, ${modelPath} is ${sha256(bytes).slice(0, 12)}…)`);
    }
    const format = (stringOpt(args, 'format') ?? 'qcdq') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw new InputError(`--format ${format}: expected ${EXPORT_FORMATS.join(', ')}`);
    const act = stringOpt(args, 'act-dtype');
    if (act !== undefined && act !== 'fp16' && act !== 'fp32') throw new InputError(`--act-dtype ${act}: expected fp16 or fp32`);
    const model = applyPlan(planWorkingGraph(modelFromBytes(bytes, modelPath), plan), plan, { format, cudaLayout: Boolean(args.values['cuda-layout']), ...(act ? { actDtype: act as ActivationDtype } : {}) });
    saveModel(model, out);
    const r = inspectModel(model);
    const summary = { input: modelPath, plan: planPath, output: out, scheme: plan.scheme, format, percentConvParamsAt4Bits: r.conv.percentAt4Bits };
    io.out(args.values.json ? JSON.stringify(summary, null, 2) : `${out}: ${plan.scheme} ${format} from ${planPath}; ${r.conv.percentAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits`);
    return 0;
  },
};
