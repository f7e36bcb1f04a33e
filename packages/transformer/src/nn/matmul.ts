import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes (rank 2 or 3). */
function transposeLast(t: tf.Tensor): tf.Tensor {
  return tf.transpose(t, t.rank === 2 ? [1, 0] : [0, 2, 1]);
}

/**
 * `a · b` for `[M, K]·[K, N]` or batched `[S, M, K]·[S, K, N]`, whose gradient is built from explicit
 * transposes and plain matMuls: `da = dy · bᵀ`, `db = aᵀ · dy`. tfjs's own MatMul gradient uses the
 * `transposeA`/`transposeB` flags, which are 10–40× slower on wasm (measured here: a
 * [256,384]·[384,1536] forward+backward takes 911 ms with tf.matMul, 75 ms with this; toolchain.md).
 * Same values on every backend.
 *
 * @example
 * const y = matMul(x, kernel); // x: [N, in], kernel: [in, out]
 */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || (a.rank !== 2 && a.rank !== 3)) {
    throw new Error(`matMul: operands must both be rank 2 ([M,K]·[K,N]) or rank 3 ([S,M,K]·[S,K,N]), got [${a.shape}] and [${b.shape}]`);
  }
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy, transposeLast(saved[1])), tf.matMul(transposeLast(saved[0]), dy)],
    };
  });
  return product(a, b);
}
