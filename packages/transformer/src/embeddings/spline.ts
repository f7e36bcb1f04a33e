import * as tf from '@tensorflow/tfjs-core';

/**
 * 1-D polyharmonic spline resampling of learned positional tables (docs/numerics.md §2.1).
 *
 * The official code stretches a table of N learned rows to M rows with
 * `tfa.image.interpolate_spline(order=3)`: source bucket i sits at i/N, target bucket j at j/M
 * (endpoints are NOT aligned), the kernel is phi(r) = r^3 plus a linear polynomial term, and the
 * regularisation is zero. Because the spline is linear in the table values, the whole resample is
 * a fixed [M, N] matrix R with `resampled = R @ table`. We compute R once in float64 (LU solve of
 * the (N+2)x(N+2) saddle-point system) and cache it, so the resample is one differentiable matMul.
 */

const cache = new Map<string, Float64Array>();

/** Solves S X = Bm in place for a dense n x n matrix S (row-major) and k right-hand sides Bm [n, k]. */
function luSolveInPlace(S: Float64Array, n: number, Bm: Float64Array, k: number): void {
  for (let col = 0; col < n; col++) {
    // Partial pivoting: the system has a zero block, so the diagonal is not safe as a pivot.
    let piv = col;
    let best = Math.abs(S[col * n + col]);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(S[r * n + col]);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (best === 0) throw new Error(`polyharmonic spline: singular system (column ${col} of ${n})`);
    if (piv !== col) {
      for (let c = 0; c < n; c++) {
        const t = S[col * n + c];
        S[col * n + c] = S[piv * n + c];
        S[piv * n + c] = t;
      }
      for (let c = 0; c < k; c++) {
        const t = Bm[col * k + c];
        Bm[col * k + c] = Bm[piv * k + c];
        Bm[piv * k + c] = t;
      }
    }
    const p = S[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = S[r * n + col] / p;
      if (f === 0) continue;
      for (let c = col; c < n; c++) S[r * n + c] -= f * S[col * n + c];
      for (let c = 0; c < k; c++) Bm[r * k + c] -= f * Bm[col * k + c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    const p = S[r * n + r];
    for (let c = 0; c < k; c++) {
      let s = Bm[r * k + c];
      for (let j = r + 1; j < n; j++) s -= S[r * n + j] * Bm[j * k + c];
      Bm[r * k + c] = s / p;
    }
  }
}

/**
 * The [targetSize, sourceSize] matrix (row-major, float64) of the official order-3 polyharmonic
 * spline resample from `sourceSize` buckets at i/sourceSize to `targetSize` buckets at j/targetSize.
 *
 * A one-row table is constant under any resample (the linear term is undetermined there), so
 * `sourceSize = 1` gives a column of ones.
 *
 * @example
 * const r = splineResampleMatrix(14, 20); // Float64Array of 20 * 14 weights
 */
export function splineResampleMatrix(sourceSize: number, targetSize: number): Float64Array {
  for (const [label, v] of [
    ['sourceSize', sourceSize],
    ['targetSize', targetSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`splineResampleMatrix: ${label} must be a positive integer, got ${v}`);
  }
  const key = `${sourceSize}->${targetSize}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const N = sourceSize;
  const M = targetSize;
  const R = new Float64Array(M * N);
  if (N === 1) {
    R.fill(1);
  } else if (N === M) {
    for (let i = 0; i < N; i++) R[i * N + i] = 1;
  } else {
    const n = N + 2;
    const x = Array.from({ length: N }, (_, i) => i / N);
    const q = Array.from({ length: M }, (_, j) => j / M);
    const phi = (r: number) => Math.abs(r) ** 3;
    // S = [[A, P], [P^T, 0]], A_ij = phi(|x_i - x_j|), P_i = [x_i, 1]. S is symmetric.
    const S = new Float64Array(n * n);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) S[i * n + j] = phi(x[i] - x[j]);
      S[i * n + N] = x[i];
      S[i * n + N + 1] = 1;
      S[N * n + i] = x[i];
      S[(N + 1) * n + i] = 1;
    }
    // values(q) = [Phi_q, P_q] S^{-1} [f; 0], so R = ([Phi_q, P_q] S^{-1})[:, :N].
    // With S symmetric, R^T = (S^{-1} Q^T)[:N, :], Q = [Phi_q, P_q]: M right-hand sides.
    const Qt = new Float64Array(n * M);
    for (let j = 0; j < M; j++) {
      for (let i = 0; i < N; i++) Qt[i * M + j] = phi(q[j] - x[i]);
      Qt[N * M + j] = q[j];
      Qt[(N + 1) * M + j] = 1;
    }
    luSolveInPlace(S, n, Qt, M);
    for (let j = 0; j < M; j++) for (let i = 0; i < N; i++) R[j * N + i] = Qt[i * M + j];
  }
  cache.set(key, R);
  return R;
}

/**
 * Resamples a learned positional table `[N, d]` to `[newSize, d]` with the official order-3
 * polyharmonic spline (docs/numerics.md §2.1). Differentiable with respect to `table`. Use it
 * inside a model (a grid that differs from the table) and for checkpoint conversion (e.g. a
 * 14-bucket 224 px table to 20 buckets for 320 px fine-tuning).
 *
 * @example
 * const t20 = resamplePositions(t14, 20); // [14, d] -> [20, d]
 */
export function resamplePositions(table: tf.Tensor2D, newSize: number): tf.Tensor2D {
  if (table.rank !== 2) throw new Error(`resamplePositions: table must be [buckets, dim], got shape [${table.shape}]`);
  if (!Number.isInteger(newSize) || newSize < 1) throw new Error(`resamplePositions: newSize must be a positive integer, got ${newSize}`);
  const [N] = table.shape;
  if (N === newSize) return tf.clone(table);
  const R = splineResampleMatrix(N, newSize);
  return tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(R), [newSize, N]), table));
}
