import { relative } from 'node:path';
import { InputError } from '../../errors.js';
import { readConfigFile, resolveConfig, RUN_OPTION_KEYS, type RawOptions } from '../../pipeline/config.js';
import { PACKAGE_ROOT } from '../../pipeline/inputs.js';
import { stageKey } from '../../pipeline/run-folder.js';
import { runPipeline } from '../../pipeline/run-pipeline.js';
import { SUMMARY_COLUMNS, summaryCells } from '../../pipeline/summary.js';
import { stringOpt, type Command } from '../command.js';
import { formatTable } from '../../util/format-table.js';

/** The string options of `run`: its config file, and every run option but `output` (which is `-o`). */
const STRING_OPTIONS = ['config', ...RUN_OPTION_KEYS.filter((k) => k !== 'output')] as const;

/** The default run folder: runs/<model stem>-<hash of the configuration>, so the same command resumes the same run. */
function defaultOutput(model: string | undefined, cfg: object): string {
  const stem = model ? (model.split(/[\\/]/).pop() ?? 'model').replace(/\.[^.]*$/, '') : 'default';
  return `runs/${stem}-${stageKey(cfg).slice(0, 8)}`;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'the whole workflow: build every variant, evaluate mAP and latency, write a run folder, summary.md and report.html',
  usage:
    'yoloq run [--config run.yaml] [--model m.onnx|m.pt] [--coco instances.json --images dir] [--calib dir] [--variants fp32,w8a16,w8a8,w4a16,w4a8,qat-w4a8,learned-w4a16,learned-w4a8] [--ep cpu|cuda|tensorrt] [--target ort-cpu|ort-cpu-integer|ort-cuda|tensorrt|brevitas] [-o runs/<id>]',
  options: {
    ...Object.fromEntries(STRING_OPTIONS.map((k) => [k, { type: 'string' as const }])),
    output: { type: 'string', short: 'o' },
    strict: { type: 'boolean' },
    wait: { type: 'boolean' },
  },
  details: [
    "With no arguments: the embedded default model (assets/default, a small YOLOv10 trained on yoloq's synthetic shapes)",
    'on synthetic evaluation and calibration images generated deterministically into ~/.cache/yoloq ($YOLOQ_CACHE_DIR); offline.',
    "  --synthetic-val N, --synthetic-calib N, --synthetic-seed S  the embedded default's generated sets (100 and 64 images, seed 0)",
    '  --config FILE       run.yaml: the options below as keys (e.g. "variants: [fp32, w4a8]"); command-line options win',
    '  --model M           an FP ONNX YOLO model, or an ultralytics .pt (exported by the Python stage, python/.venv)',
    '  --coco J, --images D  evaluation set (COCO instances JSON and its images); --max-images N for the first N',
    '  --calib D           calibration images (needed by the A8 and learned-* variants; never the evaluation images), --calib-count N (64), --seed S',
    '  --variants LIST     fp32,w8a16,w8a8,w4a16,w4a8 (default), qat-w4a8 and learned-w4a16, learned-w4a8 (Python stage:',
    "                      the default recipe's plan, then `yoloq learn`); NAME:FORMAT picks qcdq|qdq|int4|int4-cuda|int4-compact|int4-compact-fp8",
    '  --recipe R          default (the default: GPTQ, sensitivity budget, searched ranges, error correction) | none (round-to-nearest)',
    "                      for the PTQ variants; the learned-* variants always learn from the default recipe's plan",
    '  --ep E, --threads N ONNX Runtime execution provider (cpu | cuda | tensorrt) and intra-op threads',
    '  --workers N         ORT sessions evaluating at once, each in a worker thread (default 1; same results for any N',
    '                      with --threads given; docs/evaluation.md)',
    '  --target T          ort-cpu | ort-cpu-integer | ort-cuda | tensorrt | brevitas: every variant in the format and with',
    '                      the choices that runtime needs (src/export/targets.ts); sets --ep (brevitas: cpu). summary.md',
    '                      names the target',
    '  --warmup N, --runs N  latency benchmark runs (default 5 and 30)',
    '  --sensitivity-images N  images for the per-layer sensitivity in the report (8; 0 skips it); --overlay-images N (4)',
    '  --qat-steps N       QAT steps of qat-w4a8 (200); --learn-iters N  steps per block of learned-* (200, as `yoloq learn`)',
    '  --strict            an unreadable calibration or evaluation image is an error (exit 2) instead of a skip named in the log',
    '  -o, --output DIR    the run folder (default runs/<model>-<config hash>: the same command resumes it)',
    '  --wait              when another yoloq run holds the folder, wait for it (default: name it and exit 2)',
    'Finished stages (build, eval, bench of each variant) are not redone: run the same command again to resume.',
    '',
  ],
  async run(args, io) {
    if (args.positionals.length > 0)
      throw new InputError(`run takes no positional arguments, got ${args.positionals.join(' ')} (see: yoloq run --help)`);
    const configFile = stringOpt(args, 'config');
    const raw: RawOptions = configFile ? readConfigFile(configFile) : {};
    for (const k of [...STRING_OPTIONS, 'output']) {
      const v = stringOpt(args, k);
      if (v !== undefined && k !== 'config') raw[k] = v;
    }
    const { output, ...cfg } = resolveConfig(raw);
    const root = output ?? defaultOutput(cfg.model, cfg);
    const result = await runPipeline({
      config: cfg,
      output: root,
      ...(configFile ? { configFile } : {}),
      repoRoot: PACKAGE_ROOT,
      ...(args.values.strict ? { strict: true } : {}),
      ...(args.values.wait ? { wait: true } : {}),
      onWait: (h) => io.note(`yoloq: waiting for process ${h.pid}, which holds ${root} since ${h.started}`),
      onProgress: (stage, done, total, detail) => io.progress(stage, done, total, detail),
      onStage: (line) => io.note(line),
    });
    io.progress('');
    const failed = result.rows.filter((r) => r.status === 'failed');
    if (args.values.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(formatTable([...SUMMARY_COLUMNS], summaryCells(result.rows)));
      io.out(
        `\n${relative(process.cwd(), result.summary) || result.summary}\n${relative(process.cwd(), result.report) || result.report}\n${result.seconds.toFixed(1)} s`,
      );
    }
    return failed.length > 0 ? 1 : 0;
  },
};
