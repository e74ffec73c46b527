import { roundHalfEven } from '../rounding.js';
import { E4M3_CODE_MAX, E4M3_CODE_MIN, E4M3_MAX_VALUE, e4m3Nearest, e4m3Value } from './e4m3.js';

/**
 * Two-level block scales: each block scale is an 8-bit code's value times a float32 second-level scale,
 * s = float32(value(code) · S) — exactly what a DequantizeLinear of the codes against S computes (zero point 0), so a
 * file stores 8 bits per block scale instead of 32 and rebuilds the same float32 scales. Two code kinds:
 * - 'uint8': codes 1…255 standing for themselves, one S per output channel (row). A linear grid needs the row's own
 *   S: S[r] = max_j s[r, j] / 255 puts the row's largest block scale on code 255.
 * - 'e4m3': FP8 E4M3FN codes (src/quant/weights/e4m3.ts), one S for the whole tensor, as NVIDIA's NVFP4 stores its
 *   block scales. A floating-point code keeps ~3 significant bits over its whole range, so one S serves every row,
 *   and the 32/K bits per weight of a row scale are saved. S = max s / 448.
 * Codes never stand for 0 (that would zero a block).
 */

export type BlockScaleCodes = 'uint8' | 'e4m3';

/** A decision's two-level scales as the plan stores them (src/quant/plan.ts, `blockScales`). */
export interface BlockScalesField {
  codes: number[];
  /** Second-level scales: one per row ('uint8'), or one for the tensor ('e4m3'). */
  rowScales: number[];
  /** Absent: 'uint8'. */
  codeType?: 'e4m3';
}

/** What a code kind is: its code range, the value a code stands for, the nearest code, and how many rows share S. */
interface CodeKind {
  readonly min: number;
  readonly max: number;
  readonly maxValue: number;
  readonly perTensor: boolean;
  value(code: number): number;
  nearest(x: number): number;
}

export const BLOCK_SCALE_CODE_MAX = 255;

const CODE_KINDS: Readonly<Record<BlockScaleCodes, CodeKind>> = Object.freeze({
  uint8: {
    min: 1,
    max: BLOCK_SCALE_CODE_MAX,
    maxValue: BLOCK_SCALE_CODE_MAX,
    perTensor: false,
    value: (c: number) => c,
    nearest: (x: number) => {
      const c = roundHalfEven(x);
      return c < 1 ? 1 : c > BLOCK_SCALE_CODE_MAX ? BLOCK_SCALE_CODE_MAX : c;
    },
  },
  e4m3: {
    min: E4M3_CODE_MIN,
    max: E4M3_CODE_MAX,
    maxValue: E4M3_MAX_VALUE,
    perTensor: true,
    value: e4m3Value,
    nearest: e4m3Nearest,
  },
});

export function codeKindOf(b: Pick<BlockScalesField, 'codeType'>): BlockScaleCodes {
  return b.codeType ?? 'uint8';
}

/** Whether one second-level scale serves the whole tensor (e4m3) rather than one per row (uint8). */
export function perTensorSecondLevel(kind: BlockScaleCodes): boolean {
  return CODE_KINDS[kind].perTensor;
}

/** Code range of a kind, for validation. */
export function blockScaleCodeRange(kind: BlockScaleCodes): { min: number; max: number } {
  return { min: CODE_KINDS[kind].min, max: CODE_KINDS[kind].max };
}

/** The plan field for two-level codes and their second-level scales. */
export function blockScalesField(codes: ArrayLike<number>, rowScales: ArrayLike<number>, kind: BlockScaleCodes): BlockScalesField {
  return { codes: Array.from(codes), rowScales: Array.from(rowScales), ...(kind === 'e4m3' ? { codeType: 'e4m3' as const } : {}) };
}

/** The second-level scale for block scales up to `maxScale` (all zeros get 1/maxValue: any scale rebuilds zeros). */
export function rowScale(maxScale: number, kind: BlockScaleCodes = 'uint8'): number {
  return Math.fround((maxScale > 0 ? maxScale : 1) / CODE_KINDS[kind].maxValue);
}

/** The code of the representable block scale nearest to `s` under second-level scale `rowS` (ties to even). */
export function blockScaleCode(s: number, rowS: number, kind: BlockScaleCodes = 'uint8'): number {
  return CODE_KINDS[kind].nearest(s / rowS);
}

/** The float32 block scale a code stands for: what DequantizeLinear(code, rowS) computes. */
export function blockScaleValue(code: number, rowS: number, kind: BlockScaleCodes = 'uint8'): number {
  return Math.fround(CODE_KINDS[kind].value(code) * rowS);
}

/** The second-level scale of block k of a weight with `blocks` blocks per row. */
export function secondLevelScaleAt(b: BlockScalesField, k: number, blocks: number): number {
  return perTensorSecondLevel(codeKindOf(b)) ? b.rowScales[0]! : b.rowScales[Math.floor(k / blocks)]!;
}

/** The float32 block scales a plan's `blockScales` rebuild, [rows · blocks]. */
export function blockScalesOf(b: BlockScalesField, blocks: number): Float32Array {
  const kind = codeKindOf(b);
  return Float32Array.from(b.codes, (c, k) => blockScaleValue(c, secondLevelScaleAt(b, k, blocks), kind));
}

/**
 * The grid a two-level search snaps to. 'e4m3' carries its tensor scale: GPTQ and error correction run one row group
 * at a time and must share it, so they keep the one the plan already has.
 */
export type TwoLevelGrid = { codes: 'uint8' } | { codes: 'e4m3'; tensorScale: number };

/** The grid a decision's two-level scales sit on, for a pass that re-rounds the weight. */
export function gridOf(b: BlockScalesField): TwoLevelGrid {
  return codeKindOf(b) === 'e4m3' ? { codes: 'e4m3', tensorScale: b.rowScales[0]! } : { codes: 'uint8' };
}

export interface TwoLevelScales {
  /** float32 block scales as rebuilt from the codes, [rows, blocks]. */
  scales: Float32Array;
  /** 8-bit codes, [rows, blocks]. */
  codes: Uint8Array;
  /** float32 second-level scales: [rows] ('uint8') or [1] ('e4m3'). */
  rowScales: Float32Array;
}

/**
 * Put given block scales [rows, blocks] on the two-level grid. `roundUp` takes the smallest representable scale
 * ≥ the given one (round-to-nearest weights then never clip); otherwise the nearest.
 */
export function toTwoLevel(
  scales: ArrayLike<number>,
  rows: number,
  blocks: number,
  roundUp = false,
  kind: BlockScaleCodes = 'uint8',
): TwoLevelScales {
  const k = CODE_KINDS[kind];
  const out = new Float32Array(rows * blocks);
  const codes = new Uint8Array(rows * blocks);
  const groups = k.perTensor ? 1 : rows;
  const per = (rows * blocks) / groups;
  const rowScales = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    let max = 0;
    for (let i = g * per; i < (g + 1) * per; i++) max = Math.max(max, scales[i]!);
    const rs = rowScale(max, kind);
    rowScales[g] = rs;
    for (let i = g * per; i < (g + 1) * per; i++) {
      const s = scales[i]!;
      let c = blockScaleCode(s, rs, kind);
      while (roundUp && c < k.max && blockScaleValue(c, rs, kind) < s) c++;
      codes[i] = c;
      out[i] = blockScaleValue(c, rs, kind);
    }
  }
  return { scales: out, codes, rowScales };
}

/** Two-level codes and second-level scales gathered over a weight's row groups, for a plan decision's `blockScales`. */
export class BlockScaleRows {
  private readonly codes: number[] = [];
  private readonly rowScales: number[] = [];
  private kind: BlockScaleCodes = 'uint8';

  add(part: { codes: ArrayLike<number>; rowScales: ArrayLike<number>; codeType?: 'e4m3' }): void {
    for (let i = 0; i < part.codes.length; i++) this.codes.push(part.codes[i]!);
    this.kind = part.codeType ?? 'uint8';
    // Row groups of a per-tensor grid all report the one tensor scale.
    if (perTensorSecondLevel(this.kind) && this.rowScales.length > 0) return;
    for (let i = 0; i < part.rowScales.length; i++) this.rowScales.push(part.rowScales[i]!);
  }

  /** `{ blockScales }` when any group was two-level, else nothing (spread into a decision). */
  decisionField(): { blockScales?: BlockScalesField } {
    return this.codes.length > 0 ? { blockScales: blockScalesField(this.codes, this.rowScales, this.kind) } : {};
  }
}
