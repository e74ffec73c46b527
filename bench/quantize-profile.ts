/**
 * Where `yoloq quantize` spends its time, by stage, against model size and image count — and ONNX Runtime's own
 * `quantize_static` (QDQ, MinMax, per-channel int8) on the same model and images, run in the same bench, as the
 * ratio. Each run is a child process (as a user runs it) under /usr/bin/time for its peak RSS.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/quantize-profile.js [--models yolox_nano,yolov5n,yolov10m-random]
 *       [--recipes none,default] [--images 64] [--no-ort] [--json out.json] [--plans DIR]
 *
 * --plans DIR keeps each run's plan as DIR/<model>-<recipe>.plan.json, so a speed change can be checked to leave
 * the plans byte-identical (sha256sum DIR/* before and after).
 *
 * yolov10m-random is a random-init YOLOv10m export made by python/golden/make_random_yolo.py (no download) into a temp
 * folder: its BatchNorm statistics are random, so its activations may be degenerate — fine for timing only.
 * Goals (issue #16, 2 cores, 64 images): RTN + calibration on YOLOv10m-size < 60 s; the default recipe < 10 min;
 * nano models < 2 min.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModel } from '../src/onnx/serde/model-io.js';
import type { StageTiming } from '../src/quant/stage-timer.js';
import { benchArgs, benchNumber } from './bench-args.js';

const { values } = benchArgs(import.meta.url, {
  models: { type: 'string', default: 'yolox_nano,yolov5n,yolov10m-random' },
  recipes: { type: 'string', default: 'none,default' },
  images: { type: 'string', default: '64' },
  shared: { type: 'string', default: '../shared/data' },
  python: { type: 'string', default: 'python/.venv/bin/python' },
  'no-ort': { type: 'boolean' },
  'model-dir': { type: 'string' },
  json: { type: 'string' },
  plans: { type: 'string' },
});

const work = mkdtempSync(join(tmpdir(), 'yoloq-qprofile-'));
const count = benchNumber('images', values.images, 1);

/**
 * A folder of `n` calibration images: train209's, repeated under new names when n exceeds it — hard links, not
 * copies.
 */
function imageFolder(n: number): string {
  const src = resolve(values.shared!, 'coco/train209/images');
  const names = readdirSync(src)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  const dir = join(work, `images-${n}`);
  mkdirSync(dir);
  for (let i = 0; i < n; i++) {
    const f = names[i % names.length]!;
    linkSync(join(src, f), join(dir, `${String(i).padStart(5, '0')}-${f}`));
  }
  return dir;
}

interface ModelCase {
  name: string;
  path: string;
  /** ORT quantize_static's preprocessing flags for this family. */
  preprocess: string[];
}

function modelCase(name: string): ModelCase {
  const shared = resolve(values.shared!, 'models');
  if (name === 'yolox_nano')
    return { name, path: join(shared, 'yolox_nano.onnx'), preprocess: ['--placement', 'top-left', '--bgr', '--raw'] };
  if (name === 'yolov5n') return { name, path: join(shared, 'yolov5n_fp16.onnx'), preprocess: [] };
  if (name === 'yolov10m-random') {
    const dir = values['model-dir'] ?? work;
    const path = join(dir, 'yolov10m-random.onnx');
    if (!existsSync(path)) {
      const r = spawnSync(values.python!, ['python/golden/make_random_yolo.py', '--yaml', 'yolov10m.yaml', '--out', path], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`make_random_yolo.py failed: ${r.stderr.slice(-2000)}`);
    }
    return { name, path, preprocess: [] };
  }
  throw new Error(`unknown model ${name}`);
}

function parameterCount(path: string): number {
  let n = 0;
  for (const t of loadModel(path).graph!.initializers) n += t.dims.reduce((a, b) => a * Number(b), 1);
  return n;
}

/** Peak RSS in MB from /usr/bin/time -v's report at the end of stderr. */
function peakRss(stderr: string): number | undefined {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** User + system CPU seconds from /usr/bin/time -v: on a shared machine a steadier measure than wall time. */
function cpuSeconds(stderr: string): number | undefined {
  const u = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const s = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return u && s ? Number(u[1]) + Number(s[1]) : undefined;
}

interface Row {
  model: string;
  params: number;
  recipe: string;
  images: number;
  seconds: number;
  cpuSeconds?: number;
  peakRssMb?: number;
  stages: StageTiming[];
  ortSeconds?: number;
  ortCpuSeconds?: number;
}

/**
 * Runs a command to its end, collecting stdout and stderr, and relays the child's `--json` progress events
 * (src/cli/progress.ts) to this process's stderr as one line per event: a default-recipe run on a YOLOv10m-size
 * model is long, and a bench that stays silent for it hides which stage it is in.
 */
function runRelayingProgress(
  cmd: string,
  args: string[],
  label: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const line of lines) relayEvent(line, label);
    });
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

function relayEvent(line: string, label: string): void {
  if (!line.startsWith('{')) return;
  let e: { event?: string; stage?: string; done?: number; total?: number; elapsedS?: number; etaS?: number; seconds?: number };
  try {
    e = JSON.parse(line);
  } catch {
    return;
  }
  if (e.event === 'stage-end') process.stderr.write(`  [${label}] ${e.stage}: done in ${e.seconds?.toFixed(1)} s\n`);
  else if (e.event === 'progress' || e.event === 'stage-start') {
    const count = e.total ? ` ${e.done}/${e.total}` : '';
    const left = e.etaS !== undefined ? `, about ${Math.round(e.etaS)} s left` : '';
    process.stderr.write(`  [${label}] ${e.stage}${count} (${Math.round(e.elapsedS ?? 0)} s${left})\n`);
  }
}

async function quantize(
  m: ModelCase,
  recipe: string,
  images: string,
  n: number,
): Promise<Omit<Row, 'params' | 'ortSeconds' | 'ortCpuSeconds'>> {
  const out = join(work, `${m.name}-${recipe}.onnx`);
  const args = [
    '-v',
    process.execPath,
    join('dist', 'src', 'cli', 'main.js'),
    'quantize',
    '--model',
    m.path,
    '--scheme',
    'w4a8',
    '--format',
    'int4',
    '--calib',
    images,
    '--calib-count',
    String(n),
    '--sqnr-images',
    '0',
    '--recipe',
    recipe,
    '-o',
    out,
    ...(values.plans ? ['--plan', join(resolve(values.plans), `${m.name}-${recipe}.plan.json`)] : []),
    '--json',
  ];
  const t0 = performance.now();
  const r = await runRelayingProgress('/usr/bin/time', args, `${m.name} --recipe ${recipe}`);
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`quantize ${m.name} ${recipe} failed: ${r.stderr.slice(-2000)}`);
  const s = JSON.parse(r.stdout) as { stages: StageTiming[] };
  return { model: m.name, recipe, images: n, seconds, cpuSeconds: cpuSeconds(r.stderr), peakRssMb: peakRss(r.stderr), stages: s.stages };
}

function ortStatic(m: ModelCase, images: string, n: number): { seconds: number; cpuSeconds: number; peakRssMb: number } {
  const r = spawnSync(
    values.python!,
    [
      'python/golden/ort_quantize_static.py',
      '--model',
      m.path,
      '--images',
      images,
      '--count',
      String(n),
      '--out',
      join(work, `${m.name}-ort.onnx`),
      ...m.preprocess,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(`ort_quantize_static.py ${m.name} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const flat = (stages: readonly StageTiming[], prefix = ''): Array<[string, StageTiming]> =>
  stages.flatMap((s) => [[`${prefix}${s.name}`, s] as [string, StageTiming], ...flat(s.stages ?? [], `${prefix}  `)]);

if (values.plans) mkdirSync(values.plans, { recursive: true });
const images = imageFolder(count);
const rows: Row[] = [];
// The load at the start says whether the timings below are an idle machine's: the bench cannot know it otherwise.
console.log(
  `quantize profile: w4a8, --format int4, ${count} calibration images; ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the start`,
);
for (const name of values.models!.split(',')) {
  const m = modelCase(name);
  const params = parameterCount(m.path);
  const ort = values['no-ort'] ? undefined : ortStatic(m, images, count);
  if (ort)
    console.log(
      `\n${name} (${(params / 1e6).toFixed(2)} M parameters): ORT quantize_static ${ort.seconds.toFixed(1)} s wall, ${ort.cpuSeconds.toFixed(1)} s CPU, peak RSS ${ort.peakRssMb.toFixed(0)} MB`,
    );
  else console.log(`\n${name} (${(params / 1e6).toFixed(2)} M parameters)`);
  for (const recipe of values.recipes!.split(',')) {
    const row: Row = {
      ...(await quantize(m, recipe, images, count)),
      params,
      ...(ort ? { ortSeconds: ort.seconds, ortCpuSeconds: ort.cpuSeconds } : {}),
    };
    rows.push(row);
    const ratio = ort ? ` (${(row.seconds / ort.seconds).toFixed(2)}× quantize_static)` : '';
    const cpuRatio = ort && row.cpuSeconds !== undefined ? ` (${(row.cpuSeconds / ort.cpuSeconds).toFixed(2)}×)` : '';
    console.log(
      `  --recipe ${recipe}: ${row.seconds.toFixed(1)} s wall${ratio}, ${row.cpuSeconds?.toFixed(1) ?? '?'} s CPU${cpuRatio}, peak RSS ${row.peakRssMb?.toFixed(0) ?? '?'} MB`,
    );
    for (const [label, s] of flat(row.stages))
      console.log(`    ${label.padEnd(28)} ${s.seconds.toFixed(1).padStart(8)} s${s.images !== undefined ? `  ${s.images} images` : ''}`);
  }
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
