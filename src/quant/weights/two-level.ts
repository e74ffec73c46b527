import { roundHalfEven } from '../rounding.js';

/**
 * Two-level block scales: each block scale of a row is an 8-bit code times the row's float32 scale,
 * s[r, j] = float32(code[r, j] · S[r]) — exactly what a DequantizeLinear of uint8 codes with per-axis scale S computes
 * (zero point 0), so a file can store 8 bits per block scale instead of 32 and rebuild the same float32 scales.
 * S[r] = max_j s[r, j] / 255 puts the row's largest block scale on code 255; codes are 1…255 (0 would zero a block).
 */

export const BLOCK_SCALE_CODE_MAX = 255;

/** The row scale for block scales up to `maxScale` (a row of zeros gets 1/255: any scale rebuilds zeros). */
export function rowScale(maxScale: number): number {
  return Math.fround((maxScale > 0 ? maxScale : 1) / BLOCK_SCALE_CODE_MAX);
}

/** The code of the representable block scale nearest to `s` on a row with scale `rowS` (ties to even, within 1…255). */
export function blockScaleCode(s: number, rowS: number): number {
  const c = roundHalfEven(s / rowS);
  return c < 1 ? 1 : c > BLOCK_SCALE_CODE_MAX ? BLOCK_SCALE_CODE_MAX : c;
}

/** The float32 block scale a code stands for: what DequantizeLinear(code, rowS) computes. */
export function blockScaleValue(code: number, rowS: number): number {
  return Math.fround(code * rowS);
}

export interface TwoLevelScales {
  /** float32 block scales as rebuilt from the codes, [rows, blocks]. */
  scales: Float32Array;
  /** uint8 codes, [rows, blocks]. */
  codes: Uint8Array;
  /** float32 per-row scales, [rows]. */
  rowScales: Float32Array;
}

/**
 * Put given block scales [rows, blocks] on the two-level grid. `roundUp` takes the smallest representable scale
 * ≥ the given one (round-to-nearest weights then never clip); otherwise the nearest.
 */
export function toTwoLevel(scales: ArrayLike<number>, rows: number, blocks: number, roundUp = false): TwoLevelScales {
  const out = new Float32Array(rows * blocks);
  const codes = new Uint8Array(rows * blocks);
  const rowScales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let j = 0; j < blocks; j++) max = Math.max(max, scales[r * blocks + j]!);
    const rs = rowScale(max);
    rowScales[r] = rs;
    for (let j = 0; j < blocks; j++) {
      const s = scales[r * blocks + j]!;
      let c = blockScaleCode(s, rs);
      while (roundUp && c < BLOCK_SCALE_CODE_MAX && blockScaleValue(c, rs) < s) c++;
      codes[r * blocks + j] = c;
      out[r * blocks + j] = blockScaleValue(c, rs);
    }
  }
  return { scales: out, codes, rowScales };
}

/** Two-level codes and row scales gathered over a weight's row groups, for a plan decision's `blockScales`. */
export class BlockScaleRows {
  private readonly codes: number[] = [];
  private readonly rowScales: number[] = [];

  add(part: { codes: ArrayLike<number>; rowScales: ArrayLike<number> }): void {
    for (let i = 0; i < part.codes.length; i++) this.codes.push(part.codes[i]!);
    for (let i = 0; i < part.rowScales.length; i++) this.rowScales.push(part.rowScales[i]!);
  }

  /** `{ blockScales }` when any group was two-level, else nothing (spread into a decision). */
  decisionField(): { blockScales?: { codes: number[]; rowScales: number[] } } {
    return this.codes.length > 0 ? { blockScales: { codes: this.codes, rowScales: this.rowScales } } : {};
  }
}
