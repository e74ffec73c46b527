import { colour, esc, niceTicks } from './charts.js';
import { placeLabels, type Box } from './label-placement.js';

/**
 * The report's accuracy-vs-size chart: each quantized variant's mAP50-95 change from the FP reference, in points
 * (1 point = 0.01 mAP), against its file size — or its bits per Conv weight, when every variant carries that
 * number. Both axes are zoomed to the variants (the FP model sits on the dashed zero line, its size in the line's
 * label), so a one-point drop is a visible distance; labels are placed so they do not collide (leader lines when
 * moved), and each marker has a <title> with the full numbers. Markers over the size budget are hollow; with size on
 * the x axis the budget is a dashed line with the area beyond it shaded.
 */

export interface TradeoffPoint {
  id: string;
  /** File size in bytes. */
  sizeBytes: number;
  bitsPerWeight?: number;
  map: number;
  /** Δ mAP50-95 vs FP in points. */
  drop: number;
  overBudget: boolean;
  /** Index into the report's colour list (the same colour in the legend table). */
  colour: number;
}

export interface TradeoffChart {
  svg: string;
  /** What the x axis shows, for the caption. */
  xAxis: 'size' | 'bits';
}

const W = 640;
const H = 360;
const M = { left: 64, right: 20, top: 20, bottom: 48 };

const signed = (v: number, digits: number): string => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(digits)}`;

/** Ticks over [lo, hi] widened by `pad` of the span (at least `minSpan`), and the domain they cover. */
function axis(lo: number, hi: number, pad: number, minSpan: number): { ticks: number[]; lo: number; hi: number } {
  const span = Math.max(hi - lo, minSpan);
  const mid = (lo + hi) / 2;
  const a = Math.min(lo, mid - span / 2) - span * pad;
  const b = Math.max(hi, mid + span / 2) + span * pad;
  const ticks = niceTicks(a, b, 6);
  return { ticks, lo: ticks[0]!, hi: ticks[ticks.length - 1]! };
}

function decimals(ticks: readonly number[]): number {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  return Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9)));
}

/** The plot's scales: data → SVG px, the axes' ticks and how many decimals they take. */
interface Frame {
  bits: boolean;
  x: { ticks: number[]; lo: number; hi: number; digits: number };
  y: { ticks: number[]; lo: number; hi: number; digits: number };
  sx(v: number): number;
  sy(v: number): number;
  xOf(p: TradeoffPoint): number;
}

function frame(points: readonly TradeoffPoint[]): Frame {
  const bits = points.length > 0 && points.every((p) => p.bitsPerWeight !== undefined);
  const xOf = (p: TradeoffPoint): number => (bits ? p.bitsPerWeight! : p.sizeBytes / 1e6);
  const xs = points.map(xOf);
  const ys = [...points.map((p) => p.drop), 0];
  const xa = axis(Math.min(...xs), Math.max(...xs), 0.12, bits ? 0.5 : 0.05);
  const ya = axis(Math.min(...ys), Math.max(...ys), 0.15, 0.5);
  return {
    bits,
    x: { ...xa, digits: decimals(xa.ticks) },
    y: { ...ya, digits: decimals(ya.ticks) },
    sx: (v) => M.left + ((W - M.left - M.right) * (v - xa.lo)) / (xa.hi - xa.lo),
    sy: (v) => H - M.bottom - ((H - M.top - M.bottom) * (v - ya.lo)) / (ya.hi - ya.lo),
    xOf,
  };
}

function gridAndAxes(f: Frame): string {
  const parts: string[] = [];
  for (const t of f.y.ticks)
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${f.sy(t)}" y2="${f.sy(t)}" stroke="#e4e4e4"/><text x="${M.left - 6}" y="${f.sy(t) + 4}" text-anchor="end">${esc(signed(t, f.y.digits))}</text>`,
    );
  for (const t of f.x.ticks)
    parts.push(
      `<line y1="${M.top}" y2="${H - M.bottom}" x1="${f.sx(t)}" x2="${f.sx(t)}" stroke="#efefef"/><text x="${f.sx(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(t.toFixed(f.x.digits))}</text>`,
    );
  const xLabel = f.bits ? 'bits per Conv weight, all in (codes, scales, zero points, 8-bit and float layers)' : 'ONNX file size (MB)';
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">mAP50-95 change vs FP (points; 1 point = 0.01 mAP)</text>`,
  );
  return parts.join('');
}

/** A text's estimated box, for the label placer to keep clear of. */
function textBox(text: string, x: number, baseline: number, anchor: 'start' | 'end'): Box {
  const width = text.length * 6.6;
  return { x: anchor === 'end' ? x - width : x, y: baseline - 11, width, height: 14 };
}

/** With size on the x axis: the budget as a dashed line, the area beyond it shaded. */
function budgetMark(f: Frame, budgetBytes: number | undefined, avoid: Box[]): string {
  if (f.bits || budgetBytes === undefined || budgetBytes / 1e6 >= f.x.hi) return '';
  const bx = f.sx(Math.max(budgetBytes / 1e6, f.x.lo));
  const text = `over the size budget (> ${(budgetBytes / 1e6).toFixed(2)} MB)`;
  avoid.push(textBox(text, bx + 4, M.top + 12, 'start'));
  return (
    `<rect x="${bx}" y="${M.top}" width="${W - M.right - bx}" height="${H - M.top - M.bottom}" fill="#fbeaea"/>` +
    `<line x1="${bx}" x2="${bx}" y1="${M.top}" y2="${H - M.bottom}" stroke="#c66" stroke-dasharray="5 3"/>` +
    `<text x="${bx + 4}" y="${M.top + 12}" fill="#a33">${esc(text)}</text>`
  );
}

/** The FP model as the dashed zero line, its mAP and size (or bits) in the line's label. */
function fpLine(f: Frame, fp: TradeoffFp | undefined, avoid: Box[]): string {
  if (!fp) return '';
  const fx = f.bits ? fp.bitsPerWeight : fp.sizeBytes / 1e6;
  const where =
    fx === undefined
      ? ''
      : `, ${f.bits ? `${fx.toFixed(1)} bits/weight` : `${fx.toFixed(2)} MB`}${fx > f.x.hi ? ', off the chart to the right' : ''}`;
  const text = `FP reference: mAP ${fp.map.toFixed(4)}${where}`;
  avoid.push(textBox(text, W - M.right - 4, f.sy(0) - 5, 'end'));
  return (
    `<line x1="${M.left}" x2="${W - M.right}" y1="${f.sy(0)}" y2="${f.sy(0)}" stroke="#333" stroke-dasharray="6 4"/>` +
    `<text x="${W - M.right - 4}" y="${f.sy(0) - 5}" text-anchor="end" fill="#333">${esc(text)}</text>`
  );
}

/** Markers (hollow over the budget), their placed labels and leader lines, each with a <title> of its numbers. */
function markers(f: Frame, points: readonly TradeoffPoint[], avoid: readonly Box[]): string {
  const anchors = points.map((p) => ({ x: f.sx(f.xOf(p)), y: f.sy(p.drop), r: 6, text: p.id }));
  const labels = placeLabels(anchors, {
    bounds: { x: M.left + 2, y: M.top + 2, width: W - M.left - M.right - 4, height: H - M.top - M.bottom - 4 },
    avoid,
  });
  return points
    .map((p, i) => {
      const a = anchors[i]!;
      const l = labels[i]!;
      const c = colour(p.colour);
      const detail = `${p.id}: mAP ${p.map.toFixed(4)} (${signed(p.drop, 2)} points vs FP), ${(p.sizeBytes / 1e6).toFixed(3)} MB${p.bitsPerWeight !== undefined ? `, ${p.bitsPerWeight.toFixed(2)} bits/weight` : ''}${p.overBudget ? ', over the size budget' : ''}`;
      const leader = l.leader
        ? `<line x1="${l.leader.x1}" y1="${l.leader.y1}" x2="${l.leader.x2}" y2="${l.leader.y2}" stroke="${c}" stroke-width="1"/>`
        : '';
      return (
        leader +
        `<circle cx="${a.x}" cy="${a.y}" r="${a.r}" fill="${p.overBudget ? '#fff' : c}" stroke="${c}" stroke-width="2"><title>${esc(detail)}</title></circle>` +
        `<text x="${l.x}" y="${l.y}" text-anchor="${l.anchor}" fill="${c}" stroke="#fff" stroke-width="3" paint-order="stroke" font-weight="600">${esc(p.id)}<title>${esc(detail)}</title></text>`
      );
    })
    .join('');
}

export interface TradeoffFp {
  map: number;
  sizeBytes: number;
  bitsPerWeight?: number;
}

export function tradeoffChart(
  points: readonly TradeoffPoint[],
  fp: TradeoffFp | undefined,
  budgetBytes: number | undefined,
): TradeoffChart {
  const f = frame(points);
  const avoid: Box[] = [];
  const budget = budgetMark(f, budgetBytes, avoid);
  const axes = `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#444"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#444"/>`;
  const zero = fpLine(f, fp, avoid);
  const body = gridAndAxes(f) + budget + axes + zero + markers(f, points, avoid);
  return {
    svg: `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="mAP change vs ${f.bits ? 'bits per weight' : 'file size'}">${body}</svg>`,
    xAxis: f.bits ? 'bits' : 'size',
  };
}
