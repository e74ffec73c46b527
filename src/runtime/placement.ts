import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticFeeds, type SyntheticFeedOptions } from './feeds.js';
import type { HostTensor } from './host-tensor.js';
import { createSession, type SessionOptions } from './session.js';

/**
 * Which execution provider ran each node, read from ONNX Runtime's own profile.
 *
 * With `enableProfiling`, onnxruntime-node writes `${profileFilePrefix}_<date>_<time>.json` when the session's
 * `endProfiling()` is called (the Node binding returns nothing, so the file is found by its prefix). The file is a
 * Chrome-trace JSON array of complete events (`ph: "X"`, `dur`/`ts` in µs). Session-level events have
 * `cat: "Session"`; each kernel execution is one `cat: "Node"` event named `<node name>_kernel_time` whose `args`
 * hold `op_name`, `provider` (e.g. "CPUExecutionProvider", "CUDAExecutionProvider") and `node_index`. Node names
 * are those of the optimized graph ORT ran, so fused nodes and inserted Memcpy nodes appear as ORT named them.
 */

export interface NodePlacement {
  /** Node name in ORT's optimized graph. */
  name: string;
  opType: string;
  /** ORT provider name, e.g. 'CPUExecutionProvider'. */
  provider: string;
  /** Kernel executions seen (runs × executions per run). */
  calls: number;
  /** Total kernel time over all calls, µs. */
  totalUs: number;
}

export interface PlacementReport {
  /** Number of distinct nodes per provider. */
  providers: Record<string, number>;
  /** Distinct nodes in first-execution order. */
  nodes: NodePlacement[];
}

interface TraceEvent {
  cat?: unknown;
  name?: unknown;
  dur?: unknown;
  args?: { op_name?: unknown; provider?: unknown };
}

const KERNEL_SUFFIX = '_kernel_time';

/** Parse ORT's profile JSON (already `JSON.parse`d) into a placement report. Events other than kernel runs are ignored. */
export function parsePlacement(profile: unknown): PlacementReport {
  if (!Array.isArray(profile)) throw new TypeError('ORT profile is not a JSON array of trace events');
  const byName = new Map<string, NodePlacement>();
  for (const ev of profile as TraceEvent[]) {
    if (ev?.cat !== 'Node' || typeof ev.name !== 'string' || !ev.name.endsWith(KERNEL_SUFFIX)) continue;
    const provider = typeof ev.args?.provider === 'string' ? ev.args.provider : 'unknown';
    const opType = typeof ev.args?.op_name === 'string' ? ev.args.op_name : 'unknown';
    const name = ev.name.slice(0, -KERNEL_SUFFIX.length);
    const key = `${name}\u0000${provider}`;
    const dur = typeof ev.dur === 'number' ? ev.dur : 0;
    const seen = byName.get(key);
    if (seen) {
      seen.calls++;
      seen.totalUs += dur;
    } else {
      byName.set(key, { name, opType, provider, calls: 1, totalUs: dur });
    }
  }
  const nodes = [...byName.values()];
  const providers: Record<string, number> = {};
  for (const n of nodes) providers[n.provider] = (providers[n.provider] ?? 0) + 1;
  return { providers, nodes };
}

export interface PlacementOptions extends Omit<SessionOptions, 'profiling'> {
  /** Inputs to run with; synthetic (see feeds.ts) when absent. */
  feeds?: Record<string, HostTensor>;
  synthetic?: SyntheticFeedOptions;
  /** Profiled runs; default 1. */
  runs?: number;
  /** Keep the raw profile JSON at this path's folder instead of deleting it; the report then names the file. */
  keepProfileDir?: string;
}

/** Run `model` with profiling on and report where each node ran. */
export async function measurePlacement(
  model: string | Uint8Array,
  options: PlacementOptions = {},
): Promise<PlacementReport & { profileFile?: string }> {
  const dir = options.keepProfileDir ?? mkdtempSync(join(tmpdir(), 'yoloq-profile-'));
  const prefix = join(dir, `ort-profile-${process.pid}-${Date.now()}`);
  const { feeds, synthetic, runs = 1, keepProfileDir, ...sessionOptions } = options;
  const session = await createSession(model, { ...sessionOptions, profiling: { filePrefix: prefix } });
  try {
    const inputs = feeds ?? syntheticFeeds(session.inputs, synthetic);
    for (let i = 0; i < runs; i++) await session.run(inputs);
    await session.endProfiling();
  } finally {
    await session.dispose();
  }
  const base = prefix.slice(dir.length + 1);
  const file = readdirSync(dir).find((f) => f.startsWith(`${base}_`) && f.endsWith('.json'));
  if (!file) throw new Error(`ONNX Runtime wrote no profile named ${prefix}_*.json`);
  try {
    const report = parsePlacement(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    return keepProfileDir ? { ...report, profileFile: join(dir, file) } : report;
  } finally {
    if (!keepProfileDir) rmSync(dir, { recursive: true, force: true });
  }
}
