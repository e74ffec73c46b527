/**
 * Benchmark: yoloq's COCO bbox evaluator against pycocotools and faster-coco-eval on the same synthetic files.
 *
 *   npm run bench:coco-eval -- [--images 5000] [--seed 1] [--runs 3] [--python PATH]
 *
 * Writes a seeded synthetic ground truth (≈7 objects per image over 80 categories) and results file (100 detections
 * per image) to a temporary folder, times loading and evaluation for each evaluator, and prints seconds, speed-ups
 * and how far the 12 stats agree. The Python side runs `python/golden/coco_eval_bench.py` with the interpreter from
 * --python, $YOLOQ_GOLDEN_PYTHON or .venv-golden/bin/python; without it (or without the packages) that side is
 * skipped with a message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCocoDetections, readCocoGroundTruth } from '../src/data/coco-json.js';
import { evaluateCoco } from '../src/eval/coco/index.js';
import { seededRandom } from '../src/util/seeded-random.js';
import { benchArgs } from './bench-args.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, here.includes(join('dist', 'bench')) ? '../..' : '..');

/** The 80 COCO category ids (91-id scheme). */
const COCO_IDS = Array.from({ length: 90 }, (_, i) => i + 1).filter((id) => ![12, 26, 29, 30, 45, 66, 68, 69, 71, 83].includes(id));

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

interface Synthetic {
  gt: { images: object[]; categories: object[]; annotations: object[] };
  dets: Array<{ image_id: number; category_id: number; bbox: number[]; score: number }>;
}

function synthesize(numImages: number, seed: number, detsPerImage = 100): Synthetic {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const W = 640;
  const H = 480;
  const box = (): number[] => {
    const side = Math.exp(Math.log(8) + rand() * Math.log(50));
    const aspect = Math.exp(rand() * 2 - 1);
    const w = Math.min(side * aspect, W - 1);
    const h = Math.min(side / aspect, H - 1);
    return [round(rand() * (W - w), 2), round(rand() * (H - h), 2), round(w, 2), round(h, 2)];
  };
  const jitter = (b: number[], s: number): number[] => [
    round(b[0]! + (rand() - 0.5) * s * b[2]!, 2),
    round(b[1]! + (rand() - 0.5) * s * b[3]!, 2),
    round(b[2]! * (1 + (rand() - 0.5) * s), 2),
    round(b[3]! * (1 + (rand() - 0.5) * s), 2),
  ];
  const gt: Synthetic['gt'] = { images: [], categories: COCO_IDS.map((id) => ({ id, name: `class${id}` })), annotations: [] };
  const dets: Synthetic['dets'] = [];
  for (let n = 0; n < numImages; n++) {
    const imageId = 100000 + n * 3;
    gt.images.push({ id: imageId, file_name: `${imageId}.jpg`, width: W, height: H });
    const cats = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(COCO_IDS));
    const start = dets.length;
    for (let g = 1 + Math.floor(rand() * 13); g > 0; g--) {
      const b = box();
      const categoryId = pick(cats);
      gt.annotations.push({
        id: gt.annotations.length + 1,
        image_id: imageId,
        category_id: categoryId,
        bbox: b,
        area: round(b[2]! * b[3]! * (0.55 + 0.4 * rand()), 2),
        iscrowd: rand() < 0.01 ? 1 : 0,
      });
      if (rand() < 0.9)
        dets.push({ image_id: imageId, category_id: categoryId, bbox: jitter(b, 0.3), score: round(0.3 + 0.7 * rand(), 4) });
      if (rand() < 0.3) dets.push({ image_id: imageId, category_id: categoryId, bbox: jitter(b, 0.6), score: round(0.6 * rand(), 4) });
    }
    while (dets.length - start < detsPerImage) {
      const categoryId = rand() < 0.7 ? pick(cats) : pick(COCO_IDS);
      dets.push({ image_id: imageId, category_id: categoryId, bbox: box(), score: round(0.5 * rand(), 4) });
    }
  }
  return { gt, dets };
}

interface Timing {
  name: string;
  loadS: number;
  evalS: number;
  note?: string;
  stats: number[];
}

async function timeOurs(gtPath: string, dtPath: string, runs: number): Promise<Timing> {
  const t0 = performance.now();
  const gt = await readCocoGroundTruth(gtPath);
  const dets = await readCocoDetections(dtPath);
  const loadS = (performance.now() - t0) / 1000;
  const times: number[] = [];
  let stats: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t1 = performance.now();
    stats = evaluateCoco(gt, dets).stats;
    times.push((performance.now() - t1) / 1000);
  }
  const note = runs > 1 ? `eval: best of ${runs}; first run ${times[0]!.toFixed(2)} s` : undefined;
  return { name: 'yoloq (TypeScript)', loadS, evalS: Math.min(...times), stats, ...(note ? { note } : {}) };
}

function timePython(python: string, impl: string, gtPath: string, dtPath: string): Timing | string {
  const script = join(repoRoot, 'python', 'golden', 'coco_eval_bench.py');
  const res = spawnSync(python, [script, '--impl', impl, '--gt', gtPath, '--dt', dtPath], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.error) return `skipped ${impl}: cannot run ${python} (${res.error.message})`;
  if (res.status !== 0) return `skipped ${impl}: ${res.stderr.trim().split('\n').pop() ?? `exit ${res.status}`}`;
  const out = JSON.parse(res.stdout) as { version: string; load_s: number; eval_s: number; stats: number[] };
  return { name: `${impl} ${out.version}`, loadS: out.load_s, evalS: out.eval_s, stats: out.stats };
}

const maxDiff = (a: number[], b: number[]): number => Math.max(...a.map((x, i) => Math.abs(x - (b[i] ?? NaN))));

function report(rows: Timing[], ours: Timing): void {
  console.log(`${'evaluator'.padEnd(26)}${'load (s)'.padStart(10)}${'eval (s)'.padStart(10)}${'total (s)'.padStart(11)}`);
  for (const r of rows) {
    const cols = [r.loadS, r.evalS, r.loadS + r.evalS].map((x, i) => x.toFixed(2).padStart(i === 2 ? 11 : 10)).join('');
    console.log(`${r.name.padEnd(26)}${cols}${r.note ? `   (${r.note})` : ''}`);
  }
  for (const r of rows) {
    if (r === ours) continue;
    const evalRatio = (r.evalS / ours.evalS).toFixed(2);
    const totalRatio = ((r.loadS + r.evalS) / (ours.loadS + ours.evalS)).toFixed(2);
    console.log(
      `vs ${r.name}: eval ${evalRatio}× faster, load+eval ${totalRatio}× faster; ` +
        `max |stat difference| ${maxDiff(ours.stats, r.stats).toExponential(2)}`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = benchArgs(import.meta.url, {
    images: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    python: { type: 'string' },
  });
  const numImages = Number(values.images);
  const seed = Number(values.seed);
  const dir = join(tmpdir(), `yoloq-bench-coco-eval-${numImages}-${seed}`);
  mkdirSync(dir, { recursive: true });
  const gtPath = join(dir, 'instances.json');
  const dtPath = join(dir, 'detections.json');
  const { gt, dets } = synthesize(numImages, seed);
  writeFileSync(gtPath, JSON.stringify(gt));
  writeFileSync(dtPath, JSON.stringify(dets));
  console.log(
    `COCO bbox eval benchmark: ${numImages} images, ${gt.annotations.length} ground truths, ${dets.length} detections, ` +
      `${gt.categories.length} categories (seed ${seed}); files in ${dir}`,
  );
  console.log(`node ${process.version}`);
  const ours = await timeOurs(gtPath, dtPath, Math.max(1, Number(values.runs)));
  const rows: Timing[] = [ours];
  const python = values.python ?? process.env.YOLOQ_GOLDEN_PYTHON ?? join(repoRoot, '.venv-golden', 'bin', 'python');
  if (!existsSync(python) && values.python === undefined && process.env.YOLOQ_GOLDEN_PYTHON === undefined) {
    console.log(
      `Python side skipped: no ${python}. Create it with: python3 -m venv .venv-golden && ` +
        '.venv-golden/bin/pip install -r python/requirements-golden.txt (or set YOLOQ_GOLDEN_PYTHON).',
    );
  } else {
    for (const impl of ['pycocotools', 'faster-coco-eval']) {
      const r = timePython(python, impl, gtPath, dtPath);
      if (typeof r === 'string') console.log(r);
      else rows.push(r);
    }
  }
  report(rows, ours);
  console.log(`yoloq stats: ${ours.stats.map((s) => s.toFixed(4)).join(' ')}`);
}

await main();
