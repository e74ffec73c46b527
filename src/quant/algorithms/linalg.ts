/**
 * Dense symmetric-matrix routines for GPTQ, on row-major Float64Array n×n matrices. Plain loops: the largest
 * Hessian of a YOLO-nano Conv is ~1,200² (K = Cin·kh·kw), a few seconds at most.
 */

/** Lower Cholesky factor L (H = L·Lᵀ), in a new array. Throws when H is not positive definite. */
export function choleskyLower(h: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = h[rj + j]!;
    for (let k = 0; k < j; k++) d -= l[rj + k]! * l[rj + k]!;
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${j}: ${d})`);
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = h[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = s / ljj;
    }
  }
  return l;
}

/** H⁻¹ from H's lower Cholesky factor: M = inv(L) by forward substitution, then Mᵀ·M (row-wise, cache-friendly). */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    // Row i of M: (e_i − Σ_{k<i} L[i,k]·M[k,:]) / L[i,i]; rows of M are zero right of their diagonal.
    for (let k = 0; k < i; k++) {
      const a = l[ri + k]!;
      if (a === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) m[ri + j]! -= a * m[rk + j]!;
    }
    m[ri + i] = 1;
    const d = l[ri + i]!;
    for (let j = 0; j <= i; j++) m[ri + j]! /= d;
  }
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const a = m[rk + i]!;
      if (a === 0) continue;
      const ri = i * n;
      for (let j = i; j <= k; j++) out[ri + j]! += a * m[rk + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j]!;
  return out;
}

/** Upper Cholesky factor U (A = Uᵀ·U) of a symmetric positive definite A: the transpose of the lower factor. */
export function choleskyUpper(a: Float64Array, n: number): Float64Array {
  const l = choleskyLower(a, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l[i * n + j]!;
  return u;
}

/** General inverse of a symmetric positive definite matrix (used by tests and the OBQ reference). */
export function spdInverse(h: Float64Array, n: number): Float64Array {
  return choleskyInverse(choleskyLower(h, n), n);
}

/** Solve A·X = B in place of B [n, m] (row-major) given A's lower Cholesky factor L: forward, then back substitution. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const a = l[ri + k]!;
      if (a === 0) continue;
      const bk = k * m;
      for (let j = 0; j < m; j++) b[bi + j]! -= a * b[bk + j]!;
    }
    const d = l[ri + i]!;
    for (let j = 0; j < m; j++) b[bi + j]! /= d;
  }
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * m;
    for (let k = i + 1; k < n; k++) {
      const a = l[k * n + i]!;
      if (a === 0) continue;
      const bk = k * m;
      for (let j = 0; j < m; j++) b[bi + j]! -= a * b[bk + j]!;
    }
    const d = l[i * n + i]!;
    for (let j = 0; j < m; j++) b[bi + j]! /= d;
  }
  return b;
}
