import { InputError } from '../../errors.js';
import { convertToInt4 } from '../../export/convert-to-int4.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { checkDistinctPaths, checkOutputPath, writeOutputs } from '../../io/atomic-write.js';
import { inlineExternalData } from '../../onnx/serde/external-data.js';
import { loadModel, modelToBytes, stageModel } from '../../onnx/serde/model-io.js';
import { sidecarPath, stagePlanFiles } from '../../quant/plan-file.js';
import { prepareForOrtCpu } from '../../runtime/prepare-model.js';
import { onePositional, stringOpt, type Command, type CommandIo, type ParsedArgs } from '../command.js';

export const convertCommand: Command = {
  name: 'convert',
  summary:
    "read a QCDQ/QDQ model (yoloq's or Brevitas') into a QuantPlan and write it as native INT4, weights bit-exact; or write the file yoloq loads on ORT CPU",
  usage:
    'yoloq convert --to int4 <model.onnx> -o out.onnx [--cuda-layout] [--plan plan.json] [--float float.onnx]\n       yoloq convert --to ort-cpu <model.onnx> -o out.onnx',
  options: {
    to: { type: 'string' },
    'cuda-layout': { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    plan: { type: 'string' },
    float: { type: 'string' },
  },
  details: [
    'Reads the graph into the float model it stands for and a QuantPlan (the reader `yoloq inspect` uses): every',
    'weight DequantizeLinear chain (int8 → Clip, float → QuantizeLinear → Clip, int8/INT4 codes, per-axis or blocked)',
    'keeps its exact codes, scales and zero points, and each activation QuantizeLinear → DequantizeLinear its scale',
    'and zero point; then exports the plan as native INT4 (opset 21): ≤4-bit weights packed INT4, wider ones INT8.',
    'Dequantized weights are bit-identical. Quantizers a plan cannot hold are listed as kept and left as they were.',
    "  --cuda-layout       store 4-bit weights 2-D with blocked DequantizeLinear (ORT's CUDA EP)",
    '  --plan FILE.json    also write the plan (decisions in FILE.json, codes and scales in FILE.safetensors beside it);',
    '                      edit it and re-apply with `yoloq apply --plan FILE.json <float>`',
    "  --float FILE        also write the float model the plan applies to (its SHA-256 is the plan's modelSha256)",
    '',
    "--to ort-cpu writes the model exactly as yoloq hands it to ONNX Runtime's CPU EP (eval, bench and run without",
    '--raw), for plain ORT: integer-Conv weight zero points folded into int8 codes (the fast QLinearConv path), INT4',
    'weights of integer Convs widened to INT8, the other INT4 weights dequantized once to float. Outputs equal a',
    "yoloq session's bit for bit; the file is larger than INT4. A model needing none of this is written unchanged.",
    '',
  ],
  async run(args, io) {
    const path = onePositional(this, args, 'model file');
    const to = stringOpt(args, 'to');
    if (to !== 'int4' && to !== 'ort-cpu') throw new InputError(`--to ${to ?? '(missing)'}: expected int4 or ort-cpu`);
    const out = stringOpt(args, 'output');
    if (!out) throw new InputError('give the output file with -o');
    if (to === 'ort-cpu') return convertForOrtCpu(path, out, args, io);
    const planPath = stringOpt(args, 'plan');
    const floatPath = stringOpt(args, 'float');
    checkOutputPath(out, '-o');
    if (planPath) checkOutputPath(planPath, '--plan');
    if (planPath) checkOutputPath(sidecarPath(planPath), "--plan's sidecar");
    if (floatPath) checkOutputPath(floatPath, '--float');
    checkDistinctPaths([
      ['the model', path],
      ['-o', out],
      ['--plan', planPath],
      ["--plan's sidecar", planPath === undefined ? undefined : sidecarPath(planPath)],
      ['--float', floatPath],
    ]);
    const source = loadModel(path);
    // Tensors read from external data are written inline (or into `<output>.data` past 2 GB), never back into the
    // input's side file.
    inlineExternalData(source);
    const result = convertToInt4(source, { cudaLayout: Boolean(args.values['cuda-layout']) });
    writeOutputs((batch) => {
      stageModel(batch, result.model, out);
      // The float file's bytes are the ones the plan's modelSha256 was computed from, so `apply` accepts the pair.
      if (floatPath) batch.add(floatPath, modelToBytes(result.float));
      if (planPath) stagePlanFiles(batch, planPath, result.plan);
    });
    const r = inspectModel(result.model);
    const summary = {
      input: path,
      output: out,
      converted: result.converted.length,
      kept: result.kept,
      percentConvParamsAt4Bits: r.conv.percentAt4Bits,
      scheme: result.plan.scheme,
      activations: result.plan.activations.length,
      ...(planPath ? { plan: planPath } : {}),
      ...(floatPath ? { float: floatPath } : {}),
    };
    io.out(
      args.values.json
        ? JSON.stringify(summary, null, 2)
        : `${out}: ${result.converted.length} weights now INT4, ${result.kept.length} kept; ${r.conv.percentAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits` +
            (planPath
              ? `\nplan (${result.plan.scheme}, ${result.plan.weights.length} weights, ${result.plan.activations.length} activations): ${planPath}`
              : '') +
            (floatPath ? `\nfloat model the plan applies to: ${floatPath}` : ''),
    );
    return 0;
  },
};

/** `--to ort-cpu`: the model as prepareModel hands it to ORT, written atomically. */
function convertForOrtCpu(path: string, out: string, args: ParsedArgs, io: CommandIo): number {
  for (const o of ['plan', 'float', 'cuda-layout'])
    if (args.values[o] !== undefined) throw new InputError(`--${o} applies to --to int4 only`);
  checkOutputPath(out, '-o');
  checkDistinctPaths([
    ['the model', path],
    ['-o', out],
  ]);
  const source = loadModel(path);
  inlineExternalData(source);
  const prepared = prepareForOrtCpu(source);
  writeOutputs((batch) => stageModel(batch, prepared.model, out));
  const summary = { input: path, output: out, to: 'ort-cpu', changed: prepared.modified, prepared: prepared.note };
  io.out(
    args.values.json
      ? JSON.stringify(summary, null, 2)
      : `${out}: ${prepared.modified ? prepared.note : 'nothing to prepare; written unchanged'}`,
  );
  return 0;
}
