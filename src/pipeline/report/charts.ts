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

const W = 560;
const H = 320;
const M = { left: 56, right: 16, top: 16, bottom: 44 };

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

/** `text` cut to `max` characters by an ellipsis in the middle, so both a layer's stage and its op stay visible. */
export function middleEllipsis(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/**
 * Horizontal bars, one per row in the order given (e.g. per-layer sensitivity), on a value axis with ticks in
 * `unit` and `axisLabel` under it. Long labels are shortened in the middle; the full label and value are the
 * <title> of both the label and the bar (shown on hover).
 */
export function hbarChart(rows: readonly HBar[], unit: string, axisLabel: string, title: string): string {
  const rowH = 18;
  const labelW = 330;
  const width = 820;
  const top = 26;
  const plotW = width - labelW - 90;
  const height = top + rows.length * rowH + 40;
  const ticks = niceTicks(0, Math.max(...rows.map((r) => r.value), 1e-9), 5);
  const max = ticks[ticks.length - 1]!;
  const x = (v: number): number => labelW + (plotW * Math.max(v, 0)) / max;
  const digits = Math.max(0, Math.min(4, -Math.floor(Math.log10((ticks[1] ?? max) - (ticks[0] ?? 0)) + 1e-9)));
  const grid = ticks.map(
    (t) =>
      `<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${top + rows.length * rowH}" stroke="#e4e4e4"/>` +
      `<text x="${x(t)}" y="${top - 8}" text-anchor="middle">${esc(`${t.toFixed(digits)} ${unit}`)}</text>`,
  );
  const bars = rows.map((r, i) => {
    const y = top + i * rowH;
    const full = `${r.label}: ${r.value.toFixed(3)} ${unit}${r.note ? ` (${r.note})` : ''}`;
    return (
      `<text x="${labelW - 8}" y="${y + 13}" text-anchor="end">${esc(middleEllipsis(r.label, 50))}<title>${esc(full)}</title></text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${x(r.value) - labelW}" height="${rowH - 6}" fill="${colour(3)}"><title>${esc(full)}</title></rect>` +
      `<text x="${x(r.value) + 4}" y="${y + 13}">${esc(`${r.value.toFixed(2)} ${unit}`)}</text>`
    );
  });
  const axisY = top + rows.length * rowH;
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">` +
    `${grid.join('')}<line x1="${labelW}" x2="${labelW}" y1="${top - 4}" y2="${axisY}" stroke="#444"/>${bars.join('')}` +
    `<text x="${labelW + plotW / 2}" y="${axisY + 26}" text-anchor="middle">${esc(axisLabel)}</text></svg>`
  );
}
