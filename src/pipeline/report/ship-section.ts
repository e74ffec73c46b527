import { fpReference, type VariantRow } from '../summary.js';
import { colour, esc } from './charts.js';
import { dropPoints, quantized, recommend, sizeBudget, BUDGET_SLACK, type Recommendation, type VariantFacts } from './targets.js';
import { tradeoffChart, type TradeoffPoint } from './tradeoff.js';

/**
 * The report's answer to "which variant do I ship": one line per deployment target (targets.ts) with the variant,
 * its numbers and why, then the accuracy-vs-size chart of every quantized variant (tradeoff.ts) with a legend table
 * keyed by the markers' colours.
 */

export interface ShipInput {
  rows: readonly VariantRow[];
  facts: readonly VariantFacts[];
  /** The EP this run measured latency on. */
  ep?: string;
  /** The source model as the commands should name it. */
  model: string;
  /** Overrides the default budget (BUDGET_SLACK × the smallest quantized file). */
  sizeBudgetBytes?: number;
}

const mb = (b: number): string => `${(b / 1e6).toFixed(2)} MB`;
const pts = (v: number | undefined): string => (v === undefined ? '' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(2)} pts`);

function numbers(row: VariantRow, rows: readonly VariantRow[]): string {
  const bpw = row.bitsPerWeight === undefined ? '' : `, ${row.bitsPerWeight.toFixed(2)} bits/weight`;
  return `${mb(row.sizeBytes!)}${bpw}, mAP50-95 ${row.map!.toFixed(4)} (${pts(dropPoints(row, rows))} vs FP)`;
}

function recommendationLine(r: Recommendation, rows: readonly VariantRow[], budget: number | undefined): string {
  const head = `<b>${esc(r.target.label)}</b>: `;
  if (!r.pick) return `${head}none of this run's variants runs there as built. Build one: <code>${esc(r.build ?? '')}</code>`;
  const { row, runsAs, overBudget } = r.pick;
  const within = r.runners.filter((x) => budget === undefined || x.sizeBytes! <= budget);
  const over = r.runners.length - within.length;
  const listed = `${within.map((x) => `${x.id} ${x.map!.toFixed(4)}`).join(', ')}${over > 0 ? `${within.length > 0 ? '; ' : ''}${over} more over the budget` : ''}`;
  const compared =
    r.runners.length === 1
      ? `the only variant of this run that runs there${overBudget ? ` (over the ${mb(budget!)} size budget)` : ''}`
      : overBudget
        ? `none of the ${r.runners.length} variants that run there fits the ${mb(budget!)} size budget: the smallest of them`
        : `the best mAP of the variants that run there within the ${budget === undefined ? '' : `${mb(budget)} `}size budget (${listed})`;
  const smaller = r.build ? ` A 4-bit file that runs there: <code>${esc(r.build)}</code>` : '';
  return `${head}<b>${esc(row.id)}</b> — ${esc(numbers(row, rows))}. Why: ${esc(compared)}; runs as ${esc(runsAs)}.${smaller}`;
}

function legend(points: readonly TradeoffPoint[], rows: readonly VariantRow[], facts: ReadonlyMap<string, VariantFacts>): string {
  const bits = points.some((p) => p.bitsPerWeight !== undefined);
  const head = [
    '',
    'variant',
    'scheme',
    'format',
    'activations',
    'size MB',
    ...(bits ? ['bits/weight'] : []),
    'mAP50-95',
    'Δ vs FP (pts)',
    'size budget',
  ];
  const body = points.map((p) => {
    const row = rows.find((r) => r.id === p.id)!;
    const f = facts.get(p.id);
    const acts = row.scheme?.endsWith('a8') ? 'int8' : (f?.actDtype ?? 'float');
    return [
      `<svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="5" fill="${p.overBudget ? '#fff' : colour(p.colour)}" stroke="${colour(p.colour)}" stroke-width="2"/></svg>`,
      esc(p.id),
      esc(row.scheme ?? ''),
      esc(row.format ?? ''),
      esc(acts),
      (p.sizeBytes / 1e6).toFixed(3),
      ...(bits ? [p.bitsPerWeight === undefined ? '' : p.bitsPerWeight.toFixed(2)] : []),
      p.map.toFixed(4),
      `<span class="${p.drop < 0 ? 'neg' : 'pos'}">${esc(pts(p.drop).replace(' pts', ''))}</span>`,
      p.overBudget ? 'over' : 'within',
    ];
  });
  return `<table class="legend"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function shipSection(s: ShipInput): string {
  const facts = new Map(s.facts.map((f) => [f.id, f]));
  const q = quantized(s.rows);
  if (q.length === 0) return '<p class="note">No quantized variant was measured.</p>';
  const budget = s.sizeBudgetBytes ?? sizeBudget(s.rows);
  const recs = recommend(s.rows, facts, budget, s.model);
  const fp = fpReference(s.rows);
  const points: TradeoffPoint[] = q.map((r) => ({
    id: r.id,
    sizeBytes: r.sizeBytes!,
    ...(r.bitsPerWeight !== undefined ? { bitsPerWeight: r.bitsPerWeight } : {}),
    map: r.map!,
    drop: dropPoints(r, s.rows) ?? 0,
    overBudget: budget !== undefined && r.sizeBytes! > budget,
    colour: s.rows.indexOf(r),
  }));
  const chart = tradeoffChart(
    points,
    fp?.map !== undefined && fp.sizeBytes !== undefined
      ? { map: fp.map, sizeBytes: fp.sizeBytes, ...(fp.bitsPerWeight !== undefined ? { bitsPerWeight: fp.bitsPerWeight } : {}) }
      : undefined,
    budget,
  );
  const budgetText =
    budget === undefined
      ? ''
      : s.sizeBudgetBytes !== undefined
        ? `Size budget: ${mb(budget)}.`
        : `Size budget: ${mb(budget)} — ${Math.round((BUDGET_SLACK - 1) * 100)}% above the smallest quantized file, so the 4-bit variants compete; where none fits, the smallest variant that runs there.`;
  const measured = s.ep ? ` Latency was measured on the ${s.ep} EP only; mAP and sizes hold on every EP (the same weights).` : '';
  return (
    `<p class="note">Per deployment target, the variant with the best mAP50-95 among this run's variants that run there in the form they were built, within the size budget. ${esc(budgetText)}${esc(measured)}</p>` +
    `<ul class="ship">${recs.map((r) => `<li>${recommendationLine(r, s.rows, budget)}</li>`).join('')}</ul>` +
    `<figure>${chart.svg}<figcaption>mAP50-95 change vs the FP model, in points, against ${chart.xAxis === 'bits' ? 'bits per Conv weight' : 'ONNX file size'}; hollow markers are over the size budget. Hover a marker or label for its numbers.</figcaption></figure>` +
    legend(points, s.rows, facts)
  );
}
