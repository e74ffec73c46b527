/**
 * A streaming histogram of activation values with bounded memory: `bins` equal bins over [-R, R], where R starts
 * at the first batch's largest magnitude (rounded up to a power of two) and doubles whenever data falls outside
 * — doubling merges bin pairs into the middle half, so counts stay exact without keeping any data.
 */
export class StreamingHistogram {
  readonly bins: number;
  counts: Float64Array;
  /** Half-width of the covered range. 0 until the first non-zero value. */
  radius = 0;
  min = Infinity;
  max = -Infinity;
  total = 0;

  constructor(bins = 4096) {
    if (bins % 2 !== 0) throw new RangeError('bins must be even');
    this.bins = bins;
    this.counts = new Float64Array(bins);
  }

  private grow(to: number): void {
    if (this.radius === 0) {
      this.radius = 2 ** Math.ceil(Math.log2(to));
      return;
    }
    while (this.radius < to) {
      const half = this.bins / 2;
      const next = new Float64Array(this.bins);
      // Old bin j covers [-R + j·w, ...); after doubling, pairs (2k, 2k+1) land in bin half/2 + k.
      for (let j = 0; j < this.bins; j++) next[half / 2 + (j >> 1)]! += this.counts[j]!;
      this.counts = next;
      this.radius *= 2;
    }
  }

  add(values: ArrayLike<number>): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo > hi) return;
    this.min = lo;
    this.max = hi;
    const mag = Math.max(Math.abs(lo), Math.abs(hi));
    if (mag > 0 && mag >= this.radius) this.grow(mag * (1 + 1e-7));
    const r = this.radius || 1;
    const scale = this.bins / (2 * r);
    const last = this.bins - 1;
    const c = this.counts;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor((values[i]! + r) * scale);
      c[b < 0 ? 0 : b > last ? last : b]! += 1;
    }
    this.total += values.length;
  }

  binWidth(): number {
    return (2 * (this.radius || 1)) / this.bins;
  }

  /** Lower edge of bin j. */
  edge(j: number): number {
    return -(this.radius || 1) + j * this.binWidth();
  }

  /** The value below which a fraction `q` of the data lies (linear within a bin). */
  quantile(q: number): number {
    const target = q * this.total;
    let acc = 0;
    for (let j = 0; j < this.bins; j++) {
      const c = this.counts[j]!;
      if (acc + c >= target && c > 0) {
        const v = this.edge(j) + ((target - acc) / c) * this.binWidth();
        return Math.min(this.max, Math.max(this.min, v));
      }
      acc += c;
    }
    return this.max;
  }
}
