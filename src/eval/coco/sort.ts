/**
 * Stable sort of index arrays by score, highest first: what numpy's `argsort(-scores, kind='mergesort')` gives,
 * which pycocotools relies on (equal scores keep their input order, both within an image and after the per-image
 * lists are concatenated).
 */

const RUN = 24;

function insertionSort(idx: Int32Array, score: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = idx[i]!;
    const key = score[v]!;
    let j = i - 1;
    while (j >= lo && score[idx[j]!]! < key) {
      idx[j + 1] = idx[j]!;
      j--;
    }
    idx[j + 1] = v;
  }
}

function mergeRuns(src: Int32Array, dst: Int32Array, score: Float64Array, lo: number, mid: number, hi: number): void {
  let i = lo;
  let j = mid;
  let k = lo;
  while (i < mid && j < hi) {
    const a = src[i]!;
    const b = src[j]!;
    // Take from the left on ties: that keeps equal scores in input order.
    if (score[a]! >= score[b]!) {
      dst[k++] = a;
      i++;
    } else {
      dst[k++] = b;
      j++;
    }
  }
  while (i < mid) dst[k++] = src[i++]!;
  while (j < hi) dst[k++] = src[j++]!;
}

/**
 * Reorder `idx[start, end)` so that `score[idx[·]]` is non-increasing, keeping the present order among equal
 * scores. `idx`: int32 indices into `score` (float64, finite). `scratch`, if given, must hold at least `end` items.
 */
export function stableSortByScoreDesc(idx: Int32Array, score: Float64Array, start = 0, end = idx.length, scratch?: Int32Array): void {
  const n = end - start;
  if (n < 2) return;
  for (let lo = start; lo < end; lo += RUN) insertionSort(idx, score, lo, Math.min(lo + RUN, end));
  if (n <= RUN) return;
  const other = scratch !== undefined && scratch.length >= end ? scratch : new Int32Array(end);
  let src = idx;
  let dst = other;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = start; lo < end; lo += 2 * width) {
      const mid = Math.min(lo + width, end);
      const hi = Math.min(lo + 2 * width, end);
      mergeRuns(src, dst, score, lo, mid, hi);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== idx) idx.set(src.subarray(start, end), start);
}
