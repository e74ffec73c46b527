import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { InputError, oneLine } from '../errors.js';
import { epAvailability, epUnavailableMessage, isProviderStartFailure, type EpEnvironment } from './ep-availability.js';
import { EP_TABLE, type EpName } from './ep-table.js';
import type { HostDType, HostTensor } from './host-tensor.js';

/**
 * The ONNX Runtime backend: the only module (with placement.ts, bench.ts and optimized-graph.ts beside it) that imports
 * onnxruntime-node. A `ModelSession` takes and returns `HostTensor`s, so callers never see ort.Tensor.
 */

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export type OrtLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

export interface SessionOptions {
  /** Execution provider; default 'cpu'. An unavailable one is an InputError saying how to get it. */
  ep?: EpName;
  /** Intra-op threads; undefined or 0 lets ORT choose (one per physical core). */
  threads?: number;
  /** ORT graph optimizations; default 'all'. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Write an ORT profile (Chrome trace JSON) named `${filePrefix}_<timestamp>.json`, complete after endProfiling(). */
  profiling?: { filePrefix: string };
  /** Severity of ORT log lines printed to stderr; default 'error'. */
  logLevel?: OrtLogLevel;
}

/** One model input or output as ORT reports it; symbolic dims are strings. */
export interface IoInfo {
  name: string;
  dtype: string;
  shape: Array<number | string>;
}

const LOG_LEVELS: Readonly<Record<OrtLogLevel, 0 | 1 | 2 | 3 | 4>> = Object.freeze({ verbose: 0, info: 1, warning: 2, error: 3, fatal: 4 });

const HOST_DTYPES: ReadonlySet<string> = new Set<HostDType>([
  'float32',
  'float16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'bool',
]);

/** HostTensor → ort.Tensor (shares the data buffer). */
export function toOrtTensor(t: HostTensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data as never, t.dims);
}

/** ort.Tensor → HostTensor (shares the data buffer). Throws for string and other non-numeric tensors. */
export function fromOrtTensor(t: ort.Tensor): HostTensor {
  if (!HOST_DTYPES.has(t.type)) throw new TypeError(`ORT returned a ${t.type} tensor, which yoloq does not handle`);
  return { dtype: t.type as HostDType, dims: [...t.dims], data: t.data as HostTensor['data'] };
}

let envCache: EpEnvironment | undefined;

/** The facts `epAvailability` needs, read from the installed onnxruntime-node. */
export function ortEnvironment(): EpEnvironment {
  if (!envCache) {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    envCache = {
      platform: process.platform,
      arch: process.arch,
      bindingDir: join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch),
      backends: ort.listSupportedBackends(),
      fileExists: existsSync,
    };
  }
  return envCache;
}

/** Throws an InputError naming the remedy when `ep` cannot run here. */
export function assertEpAvailable(ep: EpName): void {
  const a = epAvailability(ep, ortEnvironment());
  if (!a.available) throw new InputError(epUnavailableMessage(ep, a.reason));
}

function ortOptions(o: SessionOptions): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [...EP_TABLE[o.ep ?? 'cpu'].ortProviders],
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    executionMode: 'sequential',
    logSeverityLevel: LOG_LEVELS[o.logLevel ?? 'error'],
  };
  if (o.threads !== undefined && o.threads > 0) {
    opts.intraOpNumThreads = o.threads;
    opts.interOpNumThreads = 1;
  }
  if (o.profiling) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = o.profiling.filePrefix;
  }
  return opts;
}

function ioInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): IoInfo[] {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, dtype: m.type, shape: [...m.shape] } : { name: m.name, dtype: 'non-tensor', shape: [] },
  );
}

export class ModelSession {
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];

  constructor(
    private readonly session: ort.InferenceSession,
    readonly ep: EpName,
    readonly label: string,
  ) {
    this.inputs = ioInfo(session.inputMetadata);
    this.outputs = ioInfo(session.outputMetadata);
  }

  /** Run once; `feeds` keyed by input name. Returns all outputs (or `outputNames`) keyed by name. */
  async run(feeds: Readonly<Record<string, HostTensor>>, outputNames?: readonly string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = outputNames ? await this.session.run(ortFeeds, [...outputNames]) : await this.session.run(ortFeeds);
    } catch (e) {
      throw new InputError(`running ${this.label} in ONNX Runtime failed: ${oneLine(e)}`, { cause: e });
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, v] of Object.entries(result)) out[name] = fromOrtTensor(v as ort.Tensor);
    return out;
  }

  /** Finish the profile file (when profiling was on). */
  async endProfiling(): Promise<void> {
    await this.session.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Create a session from a model file path (external data is found next to it) or serialized bytes.
 * Errors: unavailable EP → InputError with the remedy; a model ORT rejects → InputError with ORT's message.
 */
export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const ep = options.ep ?? 'cpu';
  assertEpAvailable(ep);
  const label = typeof model === 'string' ? model : 'model';
  try {
    const opts = ortOptions(options);
    const session =
      typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
    return new ModelSession(session, ep, label);
  } catch (e) {
    const msg = oneLine(e);
    if (ep !== 'cpu' && isProviderStartFailure(msg)) {
      throw new InputError(epUnavailableMessage(ep, `ONNX Runtime could not start it (${msg})`), { cause: e });
    }
    throw new InputError(`ONNX Runtime cannot load ${label}: ${msg}`, { cause: e });
  }
}
