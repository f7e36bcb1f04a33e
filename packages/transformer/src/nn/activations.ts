import * as tf from '@tensorflow/tfjs-core';

/** Activations the layers accept by name. */
export type Activation = 'gelu' | 'relu' | 'linear';

/**
 * Exact GELU, `0.5 · x · (1 + erf(x / √2))` — Keras' default (`approximate=False`), not the tanh
 * approximation (docs/numerics.md §2.5, §14). tfjs has an `Erf` kernel and gradient on cpu, wasm and
 * webgpu; its erf is accurate to ~1.5e-7, far inside the 1e-5 parity budget.
 *
 * @example
 * const y = gelu(tf.tensor1d([-1, 0, 1])); // [-0.1587, 0, 0.8413]
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** Applies the named activation (`linear` returns `x` itself). */
export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'gelu':
      return gelu(x);
    case 'relu':
      return tf.relu(x);
    case 'linear':
      return x;
    default:
      throw new Error(`activate: unknown activation "${activation as string}", expected 'gelu', 'relu' or 'linear'`);
  }
}
