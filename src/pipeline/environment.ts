import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import type { PythonProbe } from './python-stage.js';

/**
 * The environment snapshot of a run: what produced its numbers. Versions of node, onnxruntime-node, sharp and
 * yoloq; torch, brevitas and ultralytics from the Python stage (or why it is absent); the CPU and any NVIDIA GPU.
 */

export interface Environment {
  yoloq: string;
  node: string;
  onnxruntime: string;
  sharp: string;
  python: Record<string, string>;
  pythonNote?: string;
  platform: string;
  cpu: { model: string; cores: number };
  memoryGiB: number;
  gpus: string[];
  /** ONNX Runtime threads asked for (0: its default). */
  threads: number;
}

/** A dependency's version, from the package.json above its entry point (some packages do not export package.json). */
function packageVersion(name: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    for (let i = 0; i < 6; i++, dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    }
  } catch {
    // not installed: fall through
  }
  return 'unknown';
}

function nvidiaGpus(): string[] {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.status === 0 ? r.stdout.trim().split('\n').filter(Boolean) : [];
}

export function snapshotEnvironment(python: PythonProbe, threads: number): Environment {
  const cpu = cpus();
  return {
    yoloq: packageVersion('yoloq'),
    node: process.version,
    onnxruntime: packageVersion('onnxruntime-node'),
    sharp: packageVersion('sharp'),
    python: python.versions,
    ...(python.reason ? { pythonNote: python.reason } : {}),
    platform: `${platform()} ${release()} ${process.arch}`,
    cpu: { model: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length },
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    gpus: nvidiaGpus(),
    threads,
  };
}
