import { InputError } from '../errors.js';
import type { FormatCapabilities } from '../quant/formats/capabilities.js';
import { emitInt4, emitQcdq, emitQdq, type WeightEmitter } from './emit-weights.js';

/**
 * Export formats as data: one frozen row per format with what it can carry and how its weights are emitted.
 * Adding a format is adding a row here (and its emitter in emit-weights.ts); nothing else branches on format names.
 */
export type FormatName = 'qcdq' | 'qdq' | 'int4' | 'int4-cuda' | 'int4-compact' | 'int4-compact-fp8';

export interface ExportFormatRow {
  readonly name: FormatName;
  /** One line for help texts and listings. */
  readonly summary: string;
  readonly capabilities: FormatCapabilities;
  readonly emitWeight: WeightEmitter;
}

const FLOAT32: readonly ('float32' | 'float16')[] = Object.freeze(['float32']);

/** What every single-level format shares; each row states only where it differs. */
const SINGLE_LEVEL = { zeroPoints: true, scaleDtypes: FLOAT32, scaleLevels: 1, ortFoldsAtLoad: false } as const;
/** Opset 13: DequantizeLinear without block_size or INT4; codes carried as int8. */
const OPSET13 = { ...SINGLE_LEVEL, opset: 13, blockedScales: false, weightStorage: 'int8', yoloqFoldsAtLoad: false } as const;
/** DequantizeLinear-21: blocked scales and packed INT4; yoloq folds the weights when it loads the file. */
const INT4 = Object.freeze({
  ...SINGLE_LEVEL,
  opset: 21,
  blockedScales: true,
  weightStorage: 'int4',
  ortIntegerConv: false,
  yoloqFoldsAtLoad: true,
} as const);

const row = (r: ExportFormatRow): ExportFormatRow => Object.freeze({ ...r, capabilities: Object.freeze({ ...r.capabilities }) });

export const FORMATS: Readonly<Record<FormatName, ExportFormatRow>> = Object.freeze({
  qcdq: row({
    name: 'qcdq',
    summary: 'Brevitas-style: int8 codes → Clip to the b-bit range → DequantizeLinear (opset 13)',
    capabilities: { ...OPSET13, ortIntegerConv: false },
    emitWeight: emitQcdq,
  }),
  qdq: row({
    name: 'qdq',
    summary: 'int8-carried codes → DequantizeLinear, no Clip (opset 13): ORT CPU and TensorRT fuse it into integer Convs',
    capabilities: { ...OPSET13, ortIntegerConv: true },
    emitWeight: emitQdq,
  }),
  int4: row({
    name: 'int4',
    summary: 'native INT4, packed two per byte → DequantizeLinear per axis or blocked (opset 21)',
    capabilities: INT4,
    emitWeight: emitInt4({ layout: 'as-planned' }),
  }),
  'int4-cuda': row({
    name: 'int4-cuda',
    summary: "native INT4 with every 4-bit weight stored 2-D and block-dequantized, the only INT4 form ORT's CUDA EP runs (opset 21)",
    capabilities: INT4,
    emitWeight: emitInt4({ layout: 'cuda-blocked' }),
  }),
  'int4-compact': row({
    name: 'int4-compact',
    summary:
      'native INT4 with two-level block scales: uint8 block-scale codes → DequantizeLinear against a float32 scale per output channel → the weight DequantizeLinear (opset 21; the int4-cuda layout)',
    capabilities: { ...INT4, scaleLevels: 2, blockScaleCodes: 'uint8' },
    emitWeight: emitInt4({ layout: 'cuda-blocked', scaleLevels: 2 }),
  }),
  'int4-compact-fp8': row({
    name: 'int4-compact-fp8',
    summary:
      'native INT4 with two-level block scales as NVFP4 stores them: FP8 E4M3 block-scale codes → DequantizeLinear against one float32 scale per tensor → the weight DequantizeLinear (opset 21; the int4-cuda layout)',
    capabilities: { ...INT4, scaleLevels: 2, blockScaleCodes: 'e4m3' },
    emitWeight: emitInt4({ layout: 'cuda-blocked', scaleLevels: 2 }),
  }),
});

export const FORMAT_NAMES: readonly FormatName[] = Object.freeze(Object.keys(FORMATS) as FormatName[]);

/** Name → capabilities, the view quantization validates requests against. */
export const FORMAT_CAPABILITIES: Readonly<Record<FormatName, FormatCapabilities>> = Object.freeze(
  Object.fromEntries(FORMAT_NAMES.map((n) => [n, FORMATS[n].capabilities])) as Record<FormatName, FormatCapabilities>,
);

export function isFormatName(s: string): s is FormatName {
  return Object.hasOwn(FORMATS, s);
}

/**
 * The format row for the CLI's `--format F [--cuda-layout]`: `--cuda-layout` is the older spelling of `int4-cuda`
 * and applies to int4 only.
 */
export function formatFromOptions(format: string | undefined, cudaLayout = false, fallback: FormatName = 'qcdq'): FormatName {
  const name = format ?? fallback;
  if (!isFormatName(name)) throw new InputError(`--format ${name}: expected one of ${FORMAT_NAMES.join(', ')}`);
  if (!cudaLayout || name === 'int4-cuda') return name;
  if (name !== 'int4') throw new InputError('--cuda-layout applies to --format int4 only');
  return 'int4-cuda';
}
