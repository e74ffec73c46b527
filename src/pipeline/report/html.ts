import type { CocoClassAp } from '../../eval/coco/index.js';
import type { LayerSensitivity } from '../../quant/policy/sensitivity.js';
import type { Environment } from '../environment.js';
import { fpReference, SUMMARY_COLUMNS, summaryCells, type VariantRow } from '../summary.js';
import { barChart, esc, hbarChart } from './charts.js';
import { overlaySvg, type OverlayImage } from './overlays.js';
import { shipSection } from './ship-section.js';
import type { VariantFacts } from './targets.js';

/**
 * report.html: one self-contained page (inline CSS and SVG, images as data URIs, no script, no request to any
 * network or file) with the summary table, which variant to ship per target and why (with the mAP-change vs size
 * chart), latency, per-layer 4-bit sensitivity, per-class AP changes against FP, and FP vs W4A8 detection overlays.
 */

export interface ReportInput {
  title: string;
  generated: string;
  rows: VariantRow[];
  notes: string[];
  perClass: Array<{ variant: string; perClass: CocoClassAp[] }>;
  sensitivity?: { layers: LayerSensitivity[]; images: number; note?: string };
  overlays: OverlayImage[];
  overlayNote: string;
  environment: Environment;
  config: unknown;
  /** Per variant: activation dtype and what its plan says (targets.ts); absent: what the rows alone tell. */
  facts?: VariantFacts[];
  /** The EP latency was measured on. */
  ep?: string;
  /** The source model, as the suggested commands name it (default "model.onnx"). */
  model?: string;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#222;background:#fff;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}.neg{color:#b00}.pos{color:#070}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg.chart{background:#fafafa;border:1px solid #eee;font-size:11px}.ov{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:12px}
.ov figure{margin:0}.ov figcaption{font-size:12px;color:#444}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
.note{color:#555;font-size:13px}ul.ship li{margin:6px 0}figure{margin:8px 0}figcaption{font-size:12px;color:#444}
table.legend td:first-child{text-align:center}table.legend td:nth-child(2),table.names td:nth-child(2){text-align:left}code{background:#f3f3f3;padding:1px 4px;font-size:12px}`;

function table(head: readonly string[], body: ReadonlyArray<readonly string[]>, rawCells = false, cls?: string): string {
  return (
    `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    body.map((r) => `<tr>${r.map((c) => `<td>${rawCells ? c : esc(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

function latencySection(rows: readonly VariantRow[]): string {
  const done = rows.filter((r) => r.status === 'done' && r.latencyMs !== undefined);
  if (done.length === 0) return '<p>No variant was measured.</p>';
  const lat = barChart(
    done.map((r) => ({ label: r.id, values: [r.latencyMs?.mean ?? 0, r.latencyMs?.p90 ?? 0] })),
    ['mean ms', 'p90 ms'],
    'latency (ms)',
    'latency per variant',
  );
  return `<figure>${lat}<figcaption>latency per variant (mean and p90, ms)</figcaption></figure>`;
}

/** dB with two decimals; JSON turned an infinite SQNR (a layer unchanged by quantization) into null. */
function db(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '∞' : v.toFixed(2);
}

function sensitivitySection(s: ReportInput['sensitivity']): string {
  if (!s) return '<p class="note">Not measured: it needs calibration images (--calib) and --sensitivity-images above 0.</p>';
  const ranked = [...s.layers].sort((a, b) => b.noise - a.noise);
  const top = ranked
    .slice(0, 25)
    .map((l) => ({ label: l.node, value: 100 * l.noise, note: `SQNR ${db(l.sqnrDb)} dB, ${l.params} params` }));
  const all = table(
    ['layer', 'params', 'SQNR dB', 'relative output noise %'],
    ranked.map((l) => [l.node, String(l.params), db(l.sqnrDb), (100 * l.noise).toFixed(3)]),
  );
  return (
    `<p class="note">Each Conv quantized alone to 4 bits (per-channel, round-to-nearest), everything else float; relative noise of the raw outputs (for NMS-free models: the per-anchor boxes and scores before the in-graph top-k) on ${s.images} calibration images. The ${top.length} most sensitive of ${ranked.length} layers:${s.note ? ` ${esc(s.note)}` : ''}</p>` +
    hbarChart(top, '%', 'relative output noise with only this layer at 4 bits (% of the output signal power)', 'per-layer sensitivity') +
    table(
      ['#', 'layer (full name)', 'params', 'SQNR dB', 'relative output noise %'],
      ranked.slice(0, top.length).map((l, i) => [String(i + 1), l.node, String(l.params), db(l.sqnrDb), (100 * l.noise).toFixed(3)]),
      false,
      'names',
    ) +
    `<details><summary>all ${ranked.length} layers</summary>${all}</details>`
  );
}

function perClassSection(p: ReportInput['perClass']): string {
  const fp = p[0];
  if (!fp) return '<p>No per-class results.</p>';
  const others = p.slice(1);
  const head = ['class', `${fp.variant} AP`, ...others.map((o) => `${o.variant} ΔAP`)];
  const body = fp.perClass.map((c) => [
    esc(c.name || String(c.categoryId)),
    c.ap < 0 ? '—' : c.ap.toFixed(4),
    ...others.map((o) => {
      const q = o.perClass.find((x) => x.categoryId === c.categoryId);
      if (!q || q.ap < 0 || c.ap < 0) return '—';
      const d = q.ap - c.ap;
      return `<span class="${d < 0 ? 'neg' : 'pos'}">${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(4)}</span>`;
    }),
  ]);
  return `<p class="note">AP50-95 per class of the FP model and each variant's change from it.</p>${table(head, body, true)}`;
}

function overlaySection(ov: readonly OverlayImage[], note: string): string {
  if (ov.length === 0) return `<p class="note">${esc(note || 'No overlays.')}</p>`;
  return `<p class="note">${esc(note)} Dashed white: ground truth.</p>${ov
    .map(
      (img) =>
        `<div class="ov">${img.panels
          .map(
            (p) =>
              `<figure>${overlaySvg(img, p)}<figcaption>${esc(p.variant)} — ${esc(img.file)}: ${p.boxes.length} detections</figcaption></figure>`,
          )
          .join('')}</div>`,
    )
    .join('')}`;
}

export function reportHtml(r: ReportInput): string {
  const fp = fpReference(r.rows);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.title)}</title><style>${CSS}</style></head><body>
<h1>${esc(r.title)}</h1><p class="note">Generated ${esc(r.generated)}${fp ? `; FP reference: ${esc(fp.id)}` : ''}.</p>
<h2>Summary</h2>${table(SUMMARY_COLUMNS, summaryCells(r.rows))}<ul class="note">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Which variant to ship</h2>${shipSection({ rows: r.rows, facts: r.facts ?? [], model: r.model ?? 'model.onnx', ...(r.ep ? { ep: r.ep } : {}) })}
<h2>Latency</h2>${latencySection(r.rows)}
<h2>Per-layer 4-bit sensitivity</h2>${sensitivitySection(r.sensitivity)}
<h2>Per-class AP changes</h2>${perClassSection(r.perClass)}
<h2>Detections: FP vs W4A8</h2>${overlaySection(r.overlays, r.overlayNote)}
<h2>Environment and configuration</h2><pre>${esc(JSON.stringify(r.environment, null, 1))}</pre><pre>${esc(JSON.stringify(r.config, null, 1))}</pre>
</body></html>
`;
}
