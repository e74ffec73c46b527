import { InputError } from '../../errors.js';
import { benchmark } from '../../runtime/bench.js';
import { isEpName, type EpName } from '../../runtime/ep-table.js';
import { optimizedGraph } from '../../runtime/optimized-graph.js';
import { measurePlacement } from '../../runtime/placement.js';
import { prepareModel } from '../../runtime/prepare-model.js';
import { numberOpt, stringOpt, type Command } from '../command.js';
import { formatTable } from '../../util/format-table.js';

const CPU = 'CPUExecutionProvider';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'latency, throughput, memory and node placement of a model on ONNX Runtime',
  usage: 'yoloq bench --model m.onnx [--ep cpu|cuda|tensorrt] [--warmup 10] [--runs 100] [--threads N] [--no-cpu-fallback] [--json]',
  options: {
    model: { type: 'string' },
    ep: { type: 'string' },
    warmup: { type: 'string' },
    runs: { type: 'string' },
    threads: { type: 'string' },
    'no-cpu-fallback': { type: 'boolean' },
    raw: { type: 'boolean' },
  },
  details: [
    '  --ep E              cpu (default) | cuda | tensorrt; an EP that is not installed is an error saying how to get it',
    "  --warmup N, --runs N  untimed and timed runs (default 10 and 100), synthetic inputs of the model's shapes",
    "  --threads N         intra-op threads (default: ORT's choice)",
    '  --no-cpu-fallback   fail when any node would run on the CPU instead of the requested EP',
    '  --raw               load INT4 weights as stored (default: prepared once at load; see docs/runtime-reality.md)',
    "Prints mean/p50/p90/p99 latency, throughput, peak RSS and which provider ran each node (from ORT's profile); on",
    "the CPU EP also how many nodes still compute in float after ORT's optimizer (counted in the optimized model ORT",
    'writes; an all-integer W4A8 chain leaves only the input stem and the box decoding).',
    '',
  ],
  async run(args, io) {
    const model = stringOpt(args, 'model');
    if (!model) throw new InputError('give the model with --model');
    const ep = stringOpt(args, 'ep') ?? 'cpu';
    if (!isEpName(ep)) throw new InputError(`--ep ${ep}: expected cpu, cuda or tensorrt`);
    const threads = numberOpt(args, 'threads', 0, { min: 0, integer: true });
    const prepared = prepareModel(model, { raw: Boolean(args.values.raw) });
    io.progress('placement');
    const placement = await measurePlacement(prepared.source, { ep: ep as EpName, threads });
    const onCpu = placement.nodes.filter((n) => n.provider === CPU);
    if (args.values['no-cpu-fallback'] && ep !== 'cpu' && onCpu.length > 0) {
      throw new InputError(`${onCpu.length} node(s) would run on the CPU instead of ${ep}, first: ${onCpu[0]!.name} (${onCpu[0]!.opType})`);
    }
    const warmup = numberOpt(args, 'warmup', 10, { min: 0, integer: true });
    const runs = numberOpt(args, 'runs', 100, { min: 1, integer: true });
    io.progress('session');
    const r = await benchmark(prepared.source, { ep: ep as EpName, threads, warmup, runs, onProgress: (s, d, t) => io.progress(s, d, t) });
    const optimized = ep === 'cpu' ? await optimizedGraph(prepared.source, threads || 1) : undefined;
    io.progress('');
    const summary = {
      model,
      ...r,
      placement: { providers: placement.providers, nodes: placement.nodes },
      ...(optimized ? { floatAfterOptimizer: { nodes: optimized.floatNodes, byOp: optimized.floatOps } } : {}),
      ...(prepared.note ? { loadNote: prepared.note } : {}),
    };
    if (args.values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const l = r.latencyMs;
    io.out(`${model} on ${ep}, ${threads || 'default'} threads, ${warmup} warm-up + ${runs} runs`);
    io.out(
      `latency ms: mean ${l.mean.toFixed(2)}  p50 ${l.p50.toFixed(2)}  p90 ${l.p90.toFixed(2)}  p99 ${l.p99.toFixed(2)}  (min ${l.min.toFixed(2)}, max ${l.max.toFixed(2)})`,
    );
    io.out(
      `throughput ${r.throughput.toFixed(1)} images/s; peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB; session created in ${r.sessionCreateMs.toFixed(0)} ms`,
    );
    if (prepared.note) io.out(prepared.note);
    if (optimized)
      io.out(
        `after ORT's optimizer ${optimized.floatNodes} nodes compute in float${
          optimized.floatNodes > 0
            ? ` (${Object.entries(optimized.floatOps)
                .map(([op, n]) => `${op} ${n}`)
                .join(', ')})`
            : ''
        }`,
      );
    io.out(
      `\nplacement: ${Object.entries(placement.providers)
        .map(([p, n]) => `${p} ${n} nodes`)
        .join(', ')}`,
    );
    const byOp = new Map<string, number>();
    for (const n of placement.nodes) byOp.set(`${n.provider}\u0000${n.opType}`, (byOp.get(`${n.provider}\u0000${n.opType}`) ?? 0) + 1);
    io.out(
      formatTable(
        ['provider', 'op', 'nodes'],
        [...byOp].map(([k, n]) => [...(k.split('\u0000') as [string, string]), n]),
      ),
    );
    return 0;
  },
};
