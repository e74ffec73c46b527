/**
 * Inline SVG charts for report.html: plain markup, no script, no fonts or files from anywhere, so the report
 * renders the same offline in any browser.
 */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function colour(i: number): string {
  return COLOURS[i % COLOURS.length]!;
}

/** Round numbers for axis ticks: about `count` steps of 1, 2 or 5 × 10^k covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; ticks.length === 0 || ticks[ticks.length - 1]! < hi - step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface Point {
  label: string;
  x: number;
  y: number;
}

const W = 560;
const H = 320;
const M = { left: 56, right: 16, top: 16, bottom: 44 };

function axes(
  xt: number[],
  yt: number[],
  sx: (v: number) => number,
  sy: (v: number) => number,
  xLabel: string,
  yLabel: string,
  yFmt: (v: number) => string,
): string {
  const parts: string[] = [];
  for (const t of yt)
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${esc(yFmt(t))}</text>`,
    );
  for (const t of xt)
    parts.push(
      `<line y1="${M.top}" y2="${H - M.bottom}" x1="${sx(t)}" x2="${sx(t)}" stroke="#eee"/><text x="${sx(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(String(t))}</text>`,
    );
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#444"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#444"/>`,
  );
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  return parts.join('');
}

/** Scatter of labelled points (e.g. file size vs mAP), axes from zero. */
export function scatterChart(points: readonly Point[], xLabel: string, yLabel: string, title: string): string {
  const xt = niceTicks(0, Math.max(...points.map((p) => p.x), 1e-9) * 1.1);
  const yt = niceTicks(0, Math.max(...points.map((p) => p.y), 1e-9) * 1.1);
  const sx = (v: number): number => M.left + ((W - M.left - M.right) * v) / xt[xt.length - 1]!;
  const sy = (v: number): number => H - M.bottom - ((H - M.top - M.bottom) * v) / yt[yt.length - 1]!;
  const dots = points.map(
    (p, i) =>
      `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="5" fill="${colour(i)}"><title>${esc(`${p.label}: ${p.x.toFixed(2)}, ${p.y.toFixed(4)}`)}</title></circle>` +
      `<text x="${sx(p.x) + 7}" y="${sy(p.y) - 6}" fill="${colour(i)}">${esc(p.label)}</text>`,
  );
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${axes(xt, yt, sx, sy, xLabel, yLabel, (v) => v.toFixed(2))}${dots.join('')}</svg>`;
}

export interface BarGroup {
  label: string;
  values: number[];
}

/** Grouped vertical bars (e.g. mean and p90 latency per variant), with a legend for the series. */
export function barChart(groups: readonly BarGroup[], series: readonly string[], yLabel: string, title: string): string {
  const yt = niceTicks(0, Math.max(...groups.flatMap((g) => g.values), 1e-9) * 1.1);
  const sy = (v: number): number => H - M.bottom - ((H - M.top - M.bottom) * v) / yt[yt.length - 1]!;
  const slot = (W - M.left - M.right) / Math.max(groups.length, 1);
  const bw = (slot * 0.7) / Math.max(series.length, 1);
  const bars: string[] = [];
  groups.forEach((g, i) => {
    g.values.forEach((v, k) => {
      const x = M.left + i * slot + slot * 0.15 + k * bw;
      bars.push(
        `<rect x="${x}" y="${sy(v)}" width="${bw - 1}" height="${H - M.bottom - sy(v)}" fill="${colour(k)}"><title>${esc(`${g.label} ${series[k]}: ${v.toFixed(2)}`)}</title></rect>`,
      );
    });
    bars.push(`<text x="${M.left + (i + 0.5) * slot}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(g.label)}</text>`);
  });
  const legend = series.map(
    (s, k) =>
      `<rect x="${W - M.right - 110}" y="${M.top + k * 16}" width="10" height="10" fill="${colour(k)}"/><text x="${W - M.right - 95}" y="${M.top + 9 + k * 16}">${esc(s)}</text>`,
  );
  const grid = yt.map(
    (t) =>
      `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`,
  );
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid.join('')}` +
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#444"/>` +
    `<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>${bars.join('')}${legend.join('')}</svg>`
  );
}

export interface HBar {
  label: string;
  value: number;
  note?: string;
}

/** Horizontal bars, one per row (e.g. per-layer sensitivity in dB), longest first as given. */
export function hbarChart(rows: readonly HBar[], unit: string, title: string): string {
  const rowH = 16;
  const labelW = 220;
  const width = 640;
  const height = rows.length * rowH + 24;
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const bars = rows.map((r, i) => {
    const w = ((width - labelW - 70) * Math.max(r.value, 0)) / max;
    const label = r.label.length > 36 ? `…${r.label.slice(-35)}` : r.label;
    return (
      `<text x="${labelW - 6}" y="${i * rowH + 12}" text-anchor="end">${esc(label)}</text>` +
      `<rect x="${labelW}" y="${i * rowH + 2}" width="${w}" height="${rowH - 4}" fill="${colour(3)}"><title>${esc(`${r.label}: ${r.value.toFixed(2)} ${unit}${r.note ? ` (${r.note})` : ''}`)}</title></rect>` +
      `<text x="${labelW + w + 4}" y="${i * rowH + 12}">${esc(r.value.toFixed(1))}</text>`
    );
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">${bars.join('')}</svg>`;
}
