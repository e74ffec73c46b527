import { basename, extname } from 'node:path';
import { InputError } from '../../errors.js';
import { checkDistinctPaths, checkOutputPath } from '../../io/atomic-write.js';
import { evaluateModel } from '../../eval/evaluate-model.js';
import { formatSummary } from '../../eval/coco/index.js';
import { streamPathFor } from '../../eval/detection-stream.js';
import { isEpName, type EpName } from '../../runtime/ep-table.js';
import { isFamilyName } from '../../yolo/families/index.js';
import { numberOpt, stringOpt, type Command } from '../command.js';
import { formatTable } from '../../util/format-table.js';
import { skippedImagesLine } from '../../data/skipped.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'COCO mAP of a YOLO ONNX model (pycocotools-exact), with images/s',
  usage: 'yoloq eval --model m.onnx (--coco instances.json | --labels dir) --images dir [--max-images N] [--workers N] [--resume] [--json]',
  options: {
    model: { type: 'string' },
    coco: { type: 'string' },
    labels: { type: 'string' },
    images: { type: 'string' },
    'max-images': { type: 'string' },
    family: { type: 'string' },
    ep: { type: 'string' },
    threads: { type: 'string' },
    conf: { type: 'string' },
    iou: { type: 'string' },
    'max-det': { type: 'string' },
    detections: { type: 'string' },
    stream: { type: 'string' },
    resume: { type: 'boolean' },
    workers: { type: 'string' },
    raw: { type: 'boolean' },
    strict: { type: 'boolean' },
  },
  details: [
    '  --coco FILE         COCO instances JSON (its categories are the ones scored); or --labels DIR of YOLO txt files',
    "  --images DIR        the images (default: the COCO JSON's folder)",
    '  --max-images N      the first N images of the ground truth (the ground truth is cut to the same images)',
    '  --family F          yolox | yolov5 | yolov8 | yolov10 (default: detected from the model)',
    '  --conf / --iou / --max-det   post-processing: confidence 0.001, class-aware NMS IoU 0.65, 300 per image',
    '  --ep E, --threads N ONNX Runtime execution provider (cpu | cuda | tensorrt) and intra-op threads per session',
    '  --workers N         N ORT sessions at once, each in a worker thread fed from one image queue (default 1;',
    '                      without --threads the cores are shared out); same --threads, same output bytes for any N',
    '  --detections FILE   where to write the detections (COCO results JSON; default <model>.detections.json here)',
    "  --stream FILE       each image's detections are appended here as it finishes (default: the detections path",
    '                      with .stream.jsonl for .json); removed once the results are written, kept for --resume',
    '                      when the evaluation stops part-way',
    '  --resume            continue the interrupted evaluation in the stream file (images done are not run again);',
    '                      a stream made for another model, image set or options is refused (exit 2)',
    '  --raw               load INT4 weights as stored (default: dequantized once at load, see docs/runtime-reality.md)',
    '  --strict            an unreadable image is an error (exit 2); by default it is left out of the mAP and named on stderr',
    '',
  ],
  async run(args, io) {
    const model = stringOpt(args, 'model');
    if (!model) throw new InputError('give the model with --model');
    const coco = stringOpt(args, 'coco');
    const labels = stringOpt(args, 'labels');
    if (!coco && !labels) throw new InputError('give the ground truth: --coco instances.json or --labels <YOLO label folder>');
    const images = stringOpt(args, 'images') ?? (coco ? coco.replace(/[^/\\]*$/, '') || '.' : undefined);
    if (!images) throw new InputError('give the images folder with --images');
    const family = stringOpt(args, 'family');
    if (family !== undefined && !isFamilyName(family))
      throw new InputError(`--family ${family}: expected yolox, yolov5, yolov8 or yolov10`);
    const ep = stringOpt(args, 'ep') ?? 'cpu';
    if (!isEpName(ep)) throw new InputError(`--ep ${ep}: expected cpu, cuda or tensorrt`);
    const maxImages = numberOpt(args, 'max-images', 0, { min: 1, integer: true }) || undefined;
    // One session: two were no faster than one single-threaded session on 2 cores (docs/evaluation.md).
    const workers = numberOpt(args, 'workers', 1, { min: 1, max: 64, integer: true });
    // Where the detections go is checked before the evaluation runs (src/io/atomic-write.ts).
    const detPath = stringOpt(args, 'detections') ?? `${basename(model, extname(model))}.detections.json`;
    const streamPath = stringOpt(args, 'stream') ?? streamPathFor(detPath);
    checkOutputPath(detPath, '--detections');
    checkOutputPath(streamPath, '--stream');
    checkDistinctPaths([
      ['--model', model],
      ['--coco', coco],
      ['--detections', detPath],
      ['--stream', streamPath],
    ]);
    const ev = await evaluateModel(
      model,
      { ...(coco ? { coco } : {}), ...(labels ? { labels } : {}), images, ...(maxImages ? { maxImages } : {}) },
      {
        ep: ep as EpName,
        threads: numberOpt(args, 'threads', 0, { min: 0, integer: true }),
        raw: Boolean(args.values.raw),
        workers,
        stream: streamPath,
        ...(args.values.resume ? { resume: 'require' as const } : {}),
        detectionsPath: detPath,
        strict: Boolean(args.values.strict),
        ...(family ? { family } : {}),
        postprocess: {
          confThreshold: numberOpt(args, 'conf', 0.001, { min: 0, max: 1 }),
          iouThreshold: numberOpt(args, 'iou', 0.65, { min: 0, max: 1 }),
          maxDetections: numberOpt(args, 'max-det', 300, { min: 1, integer: true }),
        },
        onProgress: (p) => {
          const detail = [p.resumed ? `${p.resumed} resumed` : '', p.skipped ? `${p.skipped} skipped` : ''].filter(Boolean).join(', ');
          io.progress('evaluating', p.done, p.total, detail || undefined);
        },
        onNote: (text) => io.note(`yoloq: ${text}`),
      },
    );
    io.progress('');
    if (ev.skipped.length > 0) io.note(`yoloq: ${skippedImagesLine('evaluation', ev.skipped)}`);
    if (ev.damaged)
      io.note(
        `yoloq: ${ev.damaged.length} evaluation image(s) made the decoder warn of corrupt data and were used (first: ${ev.damaged[0]!.path}: ${ev.damaged[0]!.warning})`,
      );
    const r = ev.result;
    const summary = {
      model,
      family: ev.family,
      images: ev.images,
      resumed: ev.resumed,
      skipped: ev.skipped,
      imagesPerSecond: ev.imagesPerSecond,
      workers,
      detections: detPath,
      detectionCount: ev.detectionCount,
      stats: Object.fromEntries(r.statNames.map((n, i) => [n, r.stats[i]])),
      statsArray: r.stats,
      perClass: r.perClass,
      ...(ev.loadNote ? { loadNote: ev.loadNote } : {}),
    };
    if (args.values.json) io.out(JSON.stringify(summary, null, 2));
    else {
      io.out(formatSummary(r.stats, r.params).join('\n'));
      io.out('');
      io.out(
        formatTable(
          ['category', 'AP', 'AP50'],
          r.perClass.map((c) => [c.name, c.ap.toFixed(3), c.ap50.toFixed(3)]),
        ),
      );
      const rate =
        ev.resumed > 0
          ? `${ev.resumed} resumed, the rest at ${ev.imagesPerSecond.toFixed(1)} images/s`
          : `at ${ev.imagesPerSecond.toFixed(1)} images/s`;
      io.out(`\n${ev.images} images (${ev.skipped.length} skipped) ${rate}; ${ev.detectionCount} detections in ${detPath}`);
      if (ev.loadNote) io.out(ev.loadNote);
    }
    return 0;
  },
};
