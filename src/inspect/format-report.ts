import { formatBytes, formatTable } from '../util/format-table.js';
import type { InspectReport, WeightRow } from './inspect-model.js';

function shape(s: Array<number | string | null> | null): string {
  return s === null ? '?' : `[${s.map((d) => (d === null ? '?' : d)).join(',')}]`;
}

function granularity(w: WeightRow): string {
  const g = w.granularity;
  const zp = w.asymmetric ? ' +zp' : '';
  switch (g.kind) {
    case 'none':
      return '-';
    case 'per-tensor':
      return `per-tensor${zp}`;
    case 'per-channel':
      return `per-channel(axis ${g.axis})${zp}`;
    case 'blocked':
      return `blocked(axis ${g.axis}, ${g.blockSize})${w.blockedPerChannel ? '=per-channel' : ''}${zp}`;
  }
}

function scales(w: WeightRow): string {
  const s = w.scales;
  if (!s) return '-';
  const f = (x: number) => x.toExponential(2);
  return s.count === 1 ? f(s.min) : `${s.count}: ${f(s.min)}..${f(s.max)} gm ${f(s.geomean)}`;
}

/** The human-readable `yoloq inspect` output. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  if (r.file) out.push(`${r.file}  (${formatBytes(r.fileBytes ?? 0)})`);
  out.push(
    `IR version ${r.irVersion ?? '?'}; opsets ${r.opsets.map((o) => `${o.domain} ${o.version ?? '?'}`).join(', ')}` +
      (r.producer ? `; producer ${r.producer}` : ''),
  );
  out.push(`${r.nodeCount} nodes, ${r.parameterCount.toLocaleString('en-US')} parameters`);
  out.push(`YOLO family: ${r.family} (${r.familyReason})`);
  out.push('', 'inputs:');
  for (const v of r.inputs) out.push(`  ${v.name}  ${v.dtype}${shape(v.shape)}`);
  out.push('outputs:');
  for (const v of r.outputs) out.push(`  ${v.name}  ${v.dtype}${shape(v.shape)}`);
  out.push(
    '',
    `ops: ${Object.entries(r.opHistogram)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (r.weights.length > 0) {
    out.push(
      '',
      formatTable(
        ['node', 'op', 'shape', 'params', 'storage', 'format', 'bits', 'bits/weight', 'granularity', 'scales'],
        r.weights.map((w) => [
          w.node,
          w.opType,
          shape(w.shape),
          w.params,
          w.storage,
          w.format,
          w.bits,
          w.bitsPerWeight.toFixed(2),
          granularity(w),
          scales(w),
        ]),
      ),
    );
  }
  const bits = Object.entries(r.conv.paramsByBits)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([b, n]) => `${b}-bit ${n.toLocaleString('en-US')}`)
    .join(', ');
  out.push('', `Conv weight parameters: ${r.conv.weightParams.toLocaleString('en-US')}${bits ? ` (${bits})` : ''}`);
  out.push(`${r.conv.percentAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits`);
  if (r.conv.weightParams > 0) {
    out.push(`${r.bitsPerWeight.toFixed(2)} bits per Conv weight, all in (codes, scales, zero points, 8-bit and float layers)`);
  }
  return out.join('\n');
}
