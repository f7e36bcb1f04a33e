import * as tf from '@tensorflow/tfjs-core';
import { installWasmKernels, WASM_BATCH_MATMUL } from './wasm-kernels.js';

/** Swaps the last two axes (rank 2 or 3). */
function transposeLast(t: tf.Tensor): tf.Tensor {
  return tf.transpose(t, t.rank === 2 ? [1, 0] : [0, 2, 1]);
}

/** A plain (no transpose) product, batched on the fast wasm kernel when the backend is wasm. */
function plainMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b);
  installWasmKernels();
  if (a.rank === 3 && a.shape[0] > 1) {
    return tf.engine().runKernel(WASM_BATCH_MATMUL, { a, b }, {}) as tf.Tensor;
  }
  return tf.matMul(a, b);
}

/**
 * `a · b` for `[M, K]·[K, N]` or batched `[S, M, K]·[S, K, N]`, whose gradient is built from explicit
 * transposes and plain matMuls: `da = dy · bᵀ`, `db = aᵀ · dy`. tfjs's own MatMul gradient uses the
 * `transposeA`/`transposeB` flags, which are 10–40× slower on wasm (measured here: a
 * [256,384]·[384,1536] forward+backward takes 911 ms with tf.matMul, 75 ms with this; toolchain.md).
 * On wasm the batched products run as one XNNPACK product per batch entry (10× the stock kernel).
 * Same values on every backend.
 *
 * @example
 * const y = matMul(x, kernel); // x: [N, in], kernel: [in, out]
 */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || (a.rank !== 2 && a.rank !== 3)) {
    throw new Error(`matMul: operands must both be rank 2 ([M,K]·[K,N]) or rank 3 ([S,M,K]·[S,K,N]), got [${a.shape}] and [${b.shape}]`);
  }
  const innerA = a.shape[a.rank - 1];
  const innerB = b.shape[b.rank - 2];
  if (innerA !== innerB || (a.rank === 3 && a.shape[0] !== b.shape[0])) {
    throw new Error(`matMul: shapes [${a.shape}] and [${b.shape}] do not match ([M,K]·[K,N] or [S,M,K]·[S,K,N])`);
  }
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: plainMatMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [plainMatMul(dy, transposeLast(saved[1])), plainMatMul(transposeLast(saved[0]), dy)],
    };
  });
  return product(a, b);
}
