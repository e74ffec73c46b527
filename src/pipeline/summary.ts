import type { LatencyStats } from '../runtime/bench.js';
import type { VariantSpec } from './config.js';
import { formatObserverCounts } from '../quant/plan-observers.js';

/** One row of the run's summary: a built and measured variant, or one that was skipped or failed, and why. */
export interface VariantRow {
  id: string;
  name: string;
  kind: VariantSpec['kind'];
  status: 'done' | 'skipped' | 'failed';
  reason?: string;
  /** The model file, relative to the run folder. */
  file?: string;
  scheme?: string;
  format?: string;
  stats?: number[];
  map?: number;
  map50?: number;
  imagesPerSecond?: number;
  latencyMs?: LatencyStats;
  /** Distinct nodes per ORT provider. */
  providers?: Record<string, number>;
  sizeBytes?: number;
  percentConvParamsAt4Bits?: number;
  /** All-in bits per Conv weight as stored (inspect's `bitsPerWeight`). */
  bitsPerWeight?: number;
  /** A8: how many activation ranges each observer set, as the plan chose them (quant/plan-observers.ts). */
  observers?: Partial<Record<string, number>>;
}

export interface SummaryContext {
  title: string;
  dataset: string;
  evalImages: number;
  ep: string;
  threads: number;
  warmup: number;
  runs: number;
  recipe: string;
  wallSeconds?: number;
}

/** "CPUExecutionProvider" → "CPU". */
export function shortProvider(name: string): string {
  return name.replace(/ExecutionProvider$/, '');
}

export function providersText(p: Record<string, number> | undefined): string {
  if (!p) return '';
  return Object.entries(p)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${shortProvider(k)} ${n}`)
    .join(', ');
}

export function fpReference(rows: readonly VariantRow[]): VariantRow | undefined {
  return rows.find((r) => r.kind === 'float' && r.status === 'done');
}

const f4 = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(4));
const f2 = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(2));

function signed(v: number | undefined): string {
  if (v === undefined) return '';
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`;
}

export const SUMMARY_COLUMNS = Object.freeze([
  'variant',
  'mAP50-95',
  'mAP50',
  'Δ vs FP',
  'mean ms',
  'p90 ms',
  'providers',
  'size MB',
  '% of Conv params at 4 bits',
  'bits/weight',
]);

/** The table's cells for each row, as summary.md and report.html both show them. */
export function summaryCells(rows: readonly VariantRow[]): string[][] {
  const fp = fpReference(rows);
  return rows.map((r) => {
    if (r.status !== 'done') {
      const reason = r.reason ?? '';
      return [r.id, '', '', '', '', '', '', '', '', `${r.status}: ${reason.length > 80 ? `${reason.slice(0, 79)}… (see below)` : reason}`];
    }
    const delta = fp?.map !== undefined && r.map !== undefined && r !== fp ? r.map - fp.map : undefined;
    return [
      r.id,
      f4(r.map),
      f4(r.map50),
      r === fp ? '—' : signed(delta),
      f2(r.latencyMs?.mean),
      f2(r.latencyMs?.p90),
      providersText(r.providers),
      r.sizeBytes === undefined ? '' : (r.sizeBytes / 1e6).toFixed(2),
      r.percentConvParamsAt4Bits === undefined ? '' : r.percentConvParamsAt4Bits.toFixed(1),
      r.bitsPerWeight === undefined ? '' : r.bitsPerWeight.toFixed(2),
    ];
  });
}

function mdRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

export function summaryMarkdown(rows: readonly VariantRow[], ctx: SummaryContext): string {
  const lines = [
    `# ${ctx.title}`,
    '',
    mdRow(SUMMARY_COLUMNS),
    mdRow(SUMMARY_COLUMNS.map(() => '---')),
    ...summaryCells(rows).map(mdRow),
    '',
    `- Accuracy: COCO bbox mAP on ${ctx.dataset} (${ctx.evalImages} images), conf 0.001, class-aware NMS IoU 0.65, 300 detections — what \`yoloq eval\` computes for the same file.`,
    `- Latency: \`session.run\` on ONNX Runtime's ${ctx.ep} EP, ${ctx.threads || 'default'} threads, ${ctx.warmup} warm-up + ${ctx.runs} timed runs, INT4 weights prepared at load — what \`yoloq bench --warmup ${ctx.warmup} --runs ${ctx.runs}\` measures. These are this run's measurements: latency varies from run to run (and with whatever else the machine is doing); accuracy and sizes do not.`,
    "- providers: distinct nodes per execution provider in ORT's optimized graph (from its profile); size: the ONNX file; 4-bit share: Conv weight parameters at 4 bits or fewer, as `yoloq inspect` counts them; bits/weight: all-in storage per Conv weight (codes, scales, zero points, 8-bit and float layers), as `yoloq inspect` reports it.",
    `- Weights: ${ctx.recipe === 'none' ? 'round-to-nearest, per-channel, first and prediction Convs kept at 8 bits' : `recipe ${ctx.recipe}`}; A8: per-tensor int8 activations.`,
  ];
  const learned = rows.filter((r) => r.kind === 'learned');
  if (learned.length > 0)
    lines.push(
      `- ${learned.map((r) => r.id).join(', ')}: the default recipe's plan, then learned rounding (\`yoloq learn\`) on the calibration images; plans/<id>.json is the learned plan.`,
    );
  const a8 = rows.filter((r) => r.observers && Object.keys(r.observers).length > 0);
  if (a8.length > 0)
    lines.push(
      `- Activation ranges, counted by the observer that set each (what each plan chose): ${a8
        .map((r) => `${r.id} ${formatObserverCounts(r.observers!)}`)
        .join('; ')}.`,
    );
  for (const r of rows.filter((x) => x.status !== 'done')) lines.push(`- ${r.id} ${r.status}: ${r.reason ?? ''}`);
  if (ctx.wallSeconds !== undefined)
    lines.push(`- Wall time of this invocation: ${ctx.wallSeconds.toFixed(1)} s (stages finished by an earlier run are not redone).`);
  return `${lines.join('\n')}\n`;
}
