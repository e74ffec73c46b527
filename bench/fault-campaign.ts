/**
 * The long fault campaign behind docs/reliability.md: real full and read-only file systems, kills between writing
 * and renaming, two runs on one folder, non-finite and external-data models, a broken image in a calibration draw.
 * Every case checks the error policy — exit 0, or exit 2 with one line naming the path and the cause, never
 * "internal error" — and that a failed command leaves none of its outputs and, once the next command ran, no
 * temporary file. (The fast seeded version of these classes is test/fuzz/failure-fuzz.test.ts.)
 *
 *   npm run build && node dist/bench/fault-campaign.js [--only disk,readonly,kill,lock,nonfinite,external,calib]
 *                                                      [--kills 12] [--model ../shared/data/models/yolox_nano.onnx]
 *
 * The file-system cases mount small tmpfs folders (root with CAP_SYS_ADMIN); without that they are reported as
 * skipped. The calibration case runs the default recipe (minutes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTempName } from '../src/io/atomic-write.js';
import { loadModel, saveModel } from '../src/onnx/serde/model-io.js';
import { readPlanFiles } from '../src/quant/plan-file.js';
import { benchArgs } from './bench-args.js';

const { values } = benchArgs(import.meta.url, {
  only: { type: 'string' },
  kills: { type: 'string', default: '12' },
  model: { type: 'string', default: '../shared/data/models/yolox_nano.onnx' },
  calib: { type: 'string', default: '../shared/data/coco/train209/images' },
  coco: { type: 'string', default: '../shared/data/coco/val100/instances_val100.json' },
  images: { type: 'string', default: '../shared/data/coco/val100/images' },
});
const only = values.only ? new Set(values.only.split(',')) : undefined;
const MODEL = resolve(values.model!);
const CLI = resolve('dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'yoloq-faults-'));
const results: Array<{ scenario: string; case: string; ok: boolean; detail: string }> = [];

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
}

function cli(args: string[], cwd = work): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 900_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Exit 0, or exit 2 with one stderr line that is not an internal error. */
function clean(r: Run): boolean {
  if (r.code === 0) return true;
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('yoloq: ') && !l.startsWith('yoloq: warning'));
  return r.code === 2 && lines.length >= 1 && !r.stderr.includes('internal error') && !/\n\s+at /.test(r.stderr);
}

function record(scenario: string, name: string, ok: boolean, detail: string): void {
  results.push({ scenario, case: name, ok, detail: detail.replace(/\s+/g, ' ').slice(0, 160) });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${scenario} ${name}: ${detail.split('\n')[0]!.slice(0, 160)}`);
}

function temps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => parseTempName(e.name))
    .map((e) => join(e.parentPath, e.name));
}

function tryMount(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}

function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

const quantize = (out: string, extra: string[] = []) => [
  'quantize',
  '--model',
  MODEL,
  '--scheme',
  'w4a16',
  '--format',
  'int4',
  '-o',
  out,
  '--plan',
  out.replace(/\.onnx$/, '.plan.json'),
  ...extra,
];

function disk(): void {
  for (const size of ['32k', '256k', '450k', '500k', '550k', '600k', '650k', '700k', '1200k', '4m']) {
    const dir = join(work, `full-${size}`);
    if (!tryMount(dir, `size=${size}`)) {
      record('disk', size, true, 'skipped: cannot mount tmpfs here');
      return;
    }
    try {
      const out = join(dir, 'sub', 'q.onnx');
      const r = cli(quantize(out));
      const files = readdirSync(dir, { recursive: true }).map(String);
      const allOrNone = r.code === 0 ? existsSync(out) : files.filter((f) => !f.startsWith('sub') || f === 'sub').length === 0;
      const ok = clean(r) && allOrNone && temps(dir).length === 0 && (r.code === 0 || /ENOSPC/.test(r.stderr));
      record('disk', `quantize into ${size}`, ok, `exit ${r.code}: ${r.stderr.trim() || 'written'} [${files.join(' ')}]`);
      const e = cli([
        'eval',
        '--model',
        MODEL,
        '--coco',
        values.coco!,
        '--images',
        values.images!,
        '--max-images',
        '2',
        '--detections',
        join(dir, 'd.json'),
      ]);
      record(
        'disk',
        `eval --detections into ${size}`,
        clean(e) && temps(dir).length === 0,
        `exit ${e.code}: ${e.stderr.trim().split('\n').pop()}`,
      );
    } finally {
      umount(dir);
    }
  }
}

function readonly(): void {
  const dir = join(work, 'ro');
  if (!tryMount(dir, 'size=1m,ro')) {
    record('readonly', 'all', true, 'skipped: cannot mount tmpfs here');
    return;
  }
  try {
    for (const [name, args] of [
      ['quantize -o', quantize(join(dir, 'q.onnx'))],
      ['quantize --plan', ['quantize', '--model', MODEL, '--scheme', 'w4a16', '-o', join(work, 'rw.onnx'), '--plan', join(dir, 'p.json')]],
      [
        'eval --detections',
        ['eval', '--model', MODEL, '--coco', values.coco!, '--images', values.images!, '--detections', join(dir, 'd.json')],
      ],
      ['run -o', ['run', '--variants', 'fp32', '-o', join(dir, 'run')]],
    ] as const) {
      const t0 = performance.now();
      const r = cli([...args]);
      const fast = performance.now() - t0 < 15_000;
      const ok = r.code === 2 && clean(r) && /EROFS/.test(r.stderr) && fast && !existsSync(join(work, 'rw.onnx'));
      record('readonly', name, ok, `exit ${r.code} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.stderr.trim()}`);
    }
  } finally {
    umount(dir);
  }
}

async function kill(): Promise<void> {
  const dir = join(work, 'kill');
  mkdirSync(dir);
  const out = join(dir, 'q.onnx');
  const plan = join(dir, 'q.plan.json');
  const t0 = performance.now();
  cli(quantize(out));
  const full = performance.now() - t0;
  const n = Number(values.kills);
  for (let k = 0; k < n; k++) {
    // Spread over the whole command, denser near its end, where the outputs are written and renamed.
    const delay = Math.round(full * Math.sqrt((k + 0.5) / n));
    const child = spawn(process.execPath, [CLI, ...quantize(out)], { cwd: work, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, delay))]);
    child.kill('SIGKILL');
    await exited;
    // Whatever is in place is complete: the model loads and the plan parses (never a half-written file).
    let whole = true;
    try {
      if (existsSync(out)) loadModel(out);
      if (existsSync(plan)) readPlanFiles(plan);
    } catch {
      whole = false;
    }
    const left = temps(dir).length;
    const again = cli(quantize(out));
    const ok = whole && again.code === 0 && temps(dir).length === 0;
    record(
      'kill',
      `SIGKILL after ${delay} ms`,
      ok,
      `${left} temp file(s) left by the kill, ${temps(dir).length} after the next run; outputs whole: ${whole}`,
    );
  }
  // The window itself: SIGKILL the moment the first temporary file appears (between creating and renaming).
  for (let k = 0; k < Math.max(2, n >> 2); k++) {
    const child = spawn(process.execPath, [CLI, ...quantize(out)], { cwd: work, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const watcher = watch(dir, (_event, name) => {
      const temp = name ? parseTempName(String(name)) : undefined;
      // Even cases: the writability probe's temporary file; odd ones: an output's (the model or the plan).
      if (temp && (k % 2 === 0 || temp.target !== 'yoloq-probe')) child.kill('SIGKILL');
    });
    await exited;
    watcher.close();
    const left = temps(dir).length;
    const again = cli(quantize(out));
    const ok = again.code === 0 && temps(dir).length === 0;
    record(
      'kill',
      k % 2 === 0 ? 'SIGKILL as the probe file appears' : 'SIGKILL as an output temp file appears',
      ok,
      `${left} temp file(s) left by the kill, ${temps(dir).length} after the next run`,
    );
  }
}

async function lock(): Promise<void> {
  const out = join(work, 'locked-run');
  const args = ['run', '--variants', 'fp32', '--synthetic-val', '4', '--synthetic-calib', '4', '--runs', '1', '--warmup', '0', '-o', out];
  const start = () =>
    new Promise<Run>((res) => {
      const c = spawn(process.execPath, [CLI, ...args], { cwd: work });
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (code) => res({ code, stderr, stdout: '' }));
    });
  const [a, b] = await Promise.all([start(), new Promise<Run>((r) => setTimeout(() => start().then(r), 300))]);
  const codes = [a.code, b.code].sort();
  record(
    'lock',
    'two runs, no --wait',
    codes[0] === 0 && codes[1] === 2 && /in use by process/.test(a.stderr + b.stderr),
    `exits ${codes.join(', ')}`,
  );
  args.push('--wait');
  const both = await Promise.all([start(), new Promise<Run>((r) => setTimeout(() => start().then(r), 300))]);
  record(
    'lock',
    'two runs with --wait',
    both.every((r) => r.code === 0),
    `exits ${both.map((r) => r.code).join(', ')}`,
  );
  record('lock', 'no lock left', !existsSync(join(out, '.yoloq.lock')), '');
}

function nonfinite(): void {
  const m = loadModel(MODEL);
  const weights = m.graph!.initializers.filter((t) => t.dims.length === 4 && t.dtype === 1);
  for (const [i, value] of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].entries()) {
    const model = loadModel(MODEL);
    const t = model.graph!.initializers.find((x) => x.name === weights[(i * 37) % weights.length]!.name)!;
    const f = new Float32Array(t.data.byteLength / 4);
    new Uint8Array(f.buffer).set(t.data);
    f[i * 11] = value;
    t.data = new Uint8Array(f.buffer);
    t.field = 'raw_data';
    const path = join(work, `nonfinite-${i}.onnx`);
    saveModel(model, path);
    const check = cli(['check', path]);
    const q = cli(quantize(join(work, `nf-${i}.onnx`)).map((a) => (a === MODEL ? path : a)));
    const allow = cli([...quantize(join(work, `nf-allow-${i}.onnx`)).map((a) => (a === MODEL ? path : a)), '--allow-nonfinite']);
    const def = cli([
      'quantize',
      '--model',
      path,
      '--scheme',
      'w4a8',
      '--calib',
      resolve(values.calib!),
      '--calib-count',
      '8',
      '-o',
      join(work, `nf8-${i}.onnx`),
    ]);
    const ok =
      check.code === 2 &&
      q.code === 2 &&
      allow.code === 0 &&
      def.code === 2 &&
      [check, q, def].every(clean) &&
      !/NaN dB/.test(allow.stdout);
    record(
      'nonfinite',
      `${t.name}[${i * 11}] = ${value}`,
      ok,
      `check ${check.code}, quantize ${q.code}, --allow-nonfinite ${allow.code}, default recipe ${def.code}: ${q.stderr.trim()}`,
    );
  }
}

function external(): void {
  const dir = join(work, 'external');
  mkdirSync(dir);
  const path = join(dir, 'm.onnx');
  saveModel(loadModel(MODEL), path, { externalData: { location: 'm.onnx.data', sizeThreshold: 1024 } });
  for (const [name, args, cwd] of [
    ['inspect', ['inspect', path], work],
    ['check', ['check', path], work],
    [
      'quantize from another folder',
      [
        'quantize',
        '--model',
        path,
        '--scheme',
        'w4a8',
        '--calib',
        resolve(values.calib!),
        '--calib-count',
        '8',
        '--recipe',
        'none',
        '-o',
        join(work, 'ext-q.onnx'),
      ],
      work,
    ],
    ['quantize from its folder', ['quantize', '--model', 'm.onnx', '--scheme', 'w4a16', '-o', 'q.onnx'], dir],
    [
      'eval',
      [
        'eval',
        '--model',
        path,
        '--coco',
        resolve(values.coco!),
        '--images',
        resolve(values.images!),
        '--max-images',
        '4',
        '--detections',
        join(work, 'ext-d.json'),
      ],
      work,
    ],
  ] as const) {
    const r = cli([...args], cwd);
    record('external', name, r.code === 0, `exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
}

function calib(): void {
  const dir = join(work, 'calib17');
  mkdirSync(dir);
  for (const f of readdirSync(values.calib!).sort().slice(0, 16)) copyFileSync(join(values.calib!, f), join(dir, f));
  const jpeg = readFileSync(join(values.calib!, readdirSync(values.calib!).sort()[16]!));
  writeFileSync(join(dir, 'zz-truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  const r = cli([
    'quantize',
    '--model',
    MODEL,
    '--scheme',
    'w4a8',
    '--calib',
    dir,
    '--calib-count',
    '17',
    '-o',
    join(work, 'calib17.onnx'),
  ]);
  record(
    'calib',
    '16 good + 1 truncated, --calib-count 17, default recipe',
    r.code === 0,
    `exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
  );
}

const SCENARIOS: Record<string, () => void | Promise<void>> = { disk, readonly, kill, lock, nonfinite, external, calib };
for (const [name, run] of Object.entries(SCENARIOS)) if (!only || only.has(name)) await run();
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length}/${results.length} cases clean (${work})`);
process.exitCode = failed.length > 0 ? 1 : 0;
