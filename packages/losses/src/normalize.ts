import * as tf from '@tensorflow/tfjs-core';

/** Floor on the squared norm, as in `tf.math.l2_normalize` (epsilon = 1e-12) used by the official code (docs/numerics.md §6.2 step 1). */
export const L2_NORMALIZE_EPSILON = 1e-12;

/**
 * L2-normalises each row of `x` `[N, D]`: `x · rsqrt(max(Σ x², 1e-12))` — the formula of TensorFlow's
 * `tf.math.l2_normalize`, so an all-zero row gives zeros (and finite gradients) instead of NaN.
 *
 * @example
 * l2Normalize(tf.tensor2d([[3, 4], [0, 0]])).print(); // [[0.6, 0.8], [0, 0]]
 */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const squaredNorm = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(squaredNorm, L2_NORMALIZE_EPSILON)));
  });
}
