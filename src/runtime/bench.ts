import { performance } from 'node:perf_hooks';
import { syntheticFeeds, type SyntheticFeedOptions } from './feeds.js';
import type { HostTensor } from './host-tensor.js';
import { createSession, type SessionOptions } from './session.js';

/**
 * Latency benchmark of one model on ONNX Runtime: create a session, run `warmup` untimed iterations, then time
 * `runs` iterations of `session.run` (wall clock around the awaited call, so it includes the binding's tensor
 * copies). A library function; the CLI formats its result.
 */

export interface LatencyStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface BenchOptions extends Omit<SessionOptions, 'profiling'> {
  /** Untimed runs first; default 5. */
  warmup?: number;
  /** Timed runs; default 50. */
  runs?: number;
  /** Inputs; synthetic (see feeds.ts) when absent. */
  feeds?: Record<string, HostTensor>;
  synthetic?: SyntheticFeedOptions;
  /** After each run: `done` of `total` runs of the 'warm-up' and then the 'timed runs' stage (called outside the timing). */
  onProgress?: (stage: 'warm-up' | 'timed runs', done: number, total: number) => void;
}

export interface BenchResult {
  ep: string;
  /** Intra-op threads asked for (0: ORT's default). */
  threads: number;
  warmup: number;
  runs: number;
  /** Leading dim of the first input (images per run). */
  batch: number;
  sessionCreateMs: number;
  latencyMs: LatencyStats;
  /** Images per second: batch × runs / total timed seconds. */
  throughput: number;
  /**
   * Peak resident set size of this process so far, in bytes (getrusage ru_maxrss). A process-lifetime high-water
   * mark: it includes whatever the process held before the benchmark, so run it in a fresh process to compare models.
   */
  peakRssBytes: number;
}

/** Percentile with linear interpolation between closest ranks (numpy's default); `sorted` ascending, p in [0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

/** Summary statistics of latency samples (ms). std is the population standard deviation. */
export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n ? sorted.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n ? Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : NaN;
  return {
    mean,
    std,
    min: sorted[0] ?? NaN,
    max: sorted[n - 1] ?? NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
  };
}

export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export async function benchmark(model: string | Uint8Array, options: BenchOptions = {}): Promise<BenchResult> {
  const { warmup = 5, runs = 50, feeds, synthetic, onProgress, ...sessionOptions } = options;
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warmup must be a non-negative integer, got ${warmup}`);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const t0 = performance.now();
  const session = await createSession(model, sessionOptions);
  const sessionCreateMs = performance.now() - t0;
  try {
    const inputs = feeds ?? syntheticFeeds(session.inputs, synthetic);
    for (let i = 0; i < warmup; i++) {
      await session.run(inputs);
      onProgress?.('warm-up', i + 1, warmup);
    }
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await session.run(inputs);
      samples.push(performance.now() - start);
      onProgress?.('timed runs', i + 1, runs);
    }
    const first = Object.values(inputs)[0];
    const batch = first && first.dims.length > 0 ? first.dims[0]! : 1;
    const totalS = samples.reduce((a, b) => a + b, 0) / 1000;
    return {
      ep: session.ep,
      threads: sessionOptions.threads ?? 0,
      warmup,
      runs,
      batch,
      sessionCreateMs,
      latencyMs: latencyStats(samples),
      throughput: totalS > 0 ? (batch * runs) / totalS : Infinity,
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    await session.dispose();
  }
}
