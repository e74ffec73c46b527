/**
 * Benchmark: `yoloq eval` at COCO size — peak memory and time at 100, 1,000 and 5,000 images.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/eval-scale.js [--sizes 100,1000,5000] [--workers 1] [--threads 0]
 *       [--model PATH] [--keep DIR] [--python PATH]
 *
 * Builds each set in a temporary folder from the shared val100 and person300 images (400 distinct images, used in
 * turn: image k is a symlink `k.jpg` to source image k mod 400, with image id k + 1 and its annotations re-numbered;
 * the categories are val100's 80, so person300's other objects count against the detector — a scale test, not
 * a quality number). Runs `yoloq eval --json` on each as a child process under /usr/bin/time (peak RSS = max
 * resident set, worker threads included; seconds = wall time of the whole command), then scores the detections it
 * wrote with pycocotools (python/golden/coco_eval_bench.py, the interpreter from --python, $YOLOQ_GOLDEN_PYTHON or
 * .venv-golden/bin/python; skipped with a message when absent) and prints the largest stat difference. The
 * smallest size is the baseline: each row prints its RSS and time per image as ratios to it. Flat memory means
 * RSS grows only by the detections (about 56 bytes each in the evaluator's columns, plus its per-slot tables).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, here.includes(join('dist', 'bench')) ? '../..' : '..');
const shared = process.env.YOLOQ_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

interface Source {
  path: string;
  image: { width: number; height: number };
  annotations: Array<{ category_id: number; bbox: number[]; area: number; iscrowd: number }>;
}

interface Instances {
  images: Array<{ id: number; file_name: string; width: number; height: number }>;
  annotations: Array<{ image_id: number; category_id: number; bbox: number[]; area: number; iscrowd?: number }>;
  categories: Array<{ id: number; name: string }>;
}

function sources(): { list: Source[]; categories: Instances['categories'] } {
  const list: Source[] = [];
  let categories: Instances['categories'] = [];
  for (const name of ['val100', 'person300']) {
    const dir = join(shared, 'coco', name);
    const inst = JSON.parse(readFileSync(join(dir, `instances_${name}.json`), 'utf8')) as Instances;
    if (name === 'val100') categories = inst.categories;
    for (const im of inst.images)
      list.push({
        path: join(dir, 'images', im.file_name),
        image: { width: im.width, height: im.height },
        annotations: inst.annotations
          .filter((a) => a.image_id === im.id)
          .map((a) => ({ category_id: a.category_id, bbox: a.bbox, area: a.area, iscrowd: a.iscrowd ?? 0 })),
      });
  }
  return { list, categories };
}

/** A set of `n` images in `dir`: images/k.jpg symlinks and instances.json. */
function buildSet(dir: string, n: number, src: ReturnType<typeof sources>): string {
  const images = join(dir, 'images');
  mkdirSync(images, { recursive: true });
  const inst: Instances = { images: [], annotations: [], categories: src.categories };
  for (let k = 0; k < n; k++) {
    const s = src.list[k % src.list.length]!;
    const fileName = `${k}.jpg`;
    symlinkSync(s.path, join(images, fileName));
    inst.images.push({ id: k + 1, file_name: fileName, ...s.image });
    for (const a of s.annotations) inst.annotations.push({ id: inst.annotations.length + 1, image_id: k + 1, ...a } as never);
  }
  const gt = join(dir, 'instances.json');
  writeFileSync(gt, JSON.stringify(inst));
  return gt;
}

interface Row {
  images: number;
  detections: number;
  peakRssMiB: number;
  seconds: number;
  imagesPerSecond: number;
  mAP: number;
  pycocotoolsMaxDiff?: number;
}

function runEval(dir: string, gt: string, model: string, o: { workers: string; threads: string }): Row & { stats: number[]; dets: string } {
  const dets = join(dir, 'detections.json');
  const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const args = ['eval', '--model', model, '--coco', gt, '--images', join(dir, 'images'), '--detections', dets, '--json'];
  args.push('--workers', o.workers, '--threads', o.threads);
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %M %e', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /TIME (\d+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`yoloq eval failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const j = JSON.parse(r.stdout) as { images: number; detectionCount: number; imagesPerSecond: number; statsArray: number[] };
  return {
    images: j.images,
    detections: j.detectionCount,
    peakRssMiB: Number(m[1]) / 1024,
    seconds: Number(m[2]),
    imagesPerSecond: j.imagesPerSecond,
    mAP: j.statsArray[0]!,
    stats: j.statsArray,
    dets,
  };
}

function pycocotoolsStats(python: string | undefined, gt: string, dets: string): number[] | string {
  if (!python || !existsSync(python)) return 'pycocotools check skipped: no golden Python (bash python/install.sh, or --python)';
  const r = spawnSync(
    python,
    [join(repoRoot, 'python', 'golden', 'coco_eval_bench.py'), '--impl', 'pycocotools', '--gt', gt, '--dt', dets],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  if (r.status !== 0) return `pycocotools check skipped: ${r.stderr.trim().split('\n').at(-1)}`;
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { stats: number[] }).stats;
}

async function main(): Promise<void> {
  const { values } = benchArgs(import.meta.url, {
    sizes: { type: 'string', default: '100,1000' },
    workers: { type: 'string', default: '1' },
    threads: { type: 'string', default: '0' },
    model: { type: 'string', default: join(shared, 'models', 'yolox_nano.onnx') },
    keep: { type: 'string' },
    python: { type: 'string' },
  });
  if (!existsSync('/usr/bin/time')) throw new Error('this bench needs /usr/bin/time (GNU time) for the peak RSS');
  if (!existsSync(values.model)) throw new Error(`${values.model} is absent (the shared data, or --model)`);
  const python = values.python ?? process.env.YOLOQ_GOLDEN_PYTHON ?? join(repoRoot, '.venv-golden', 'bin', 'python');
  const sizes = values.sizes.split(',').map(Number);
  const src = sources();
  const root = values.keep ?? mkdtempSync(join(tmpdir(), 'yoloq-eval-scale-'));
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      const dir = join(root, String(n));
      rmSync(dir, { recursive: true, force: true });
      const gt = buildSet(dir, n, src);
      const r = runEval(dir, gt, values.model, { workers: values.workers, threads: values.threads });
      const theirs = pycocotoolsStats(python, gt, r.dets);
      const row: Row = {
        images: r.images,
        detections: r.detections,
        peakRssMiB: r.peakRssMiB,
        seconds: r.seconds,
        imagesPerSecond: r.imagesPerSecond,
        mAP: r.mAP,
      };
      if (typeof theirs === 'string') console.error(theirs);
      else row.pycocotoolsMaxDiff = Math.max(...theirs.map((t, i) => Math.abs(t - r.stats[i]!)));
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  }
  const base = rows[0]!;
  console.log(`\nmodel ${values.model}, --workers ${values.workers} --threads ${values.threads}; ratios against ${base.images} images`);
  console.log(
    '| images | detections | peak RSS MiB | × base | seconds | images/s (inference) | s/image × base | mAP | max \\|Δ\\| vs pycocotools |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.images} | ${r.detections} | ${r.peakRssMiB.toFixed(0)} | ${(r.peakRssMiB / base.peakRssMiB).toFixed(2)} | ${r.seconds.toFixed(1)} | ${r.imagesPerSecond.toFixed(1)} | ${(r.seconds / r.images / (base.seconds / base.images)).toFixed(2)} | ${r.mAP.toFixed(4)} | ${r.pycocotoolsMaxDiff === undefined ? 'not checked' : r.pycocotoolsMaxDiff.toExponential(1)} |`,
    );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
