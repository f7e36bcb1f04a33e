import * as tf from '@tensorflow/tfjs-core';
import { glorotNormal, type Initializer } from '../initializers.js';
import { expectRank, fmtShape } from '../nn/validate.js';

/** Init of every [AGG] vector: Keras glorot_normal (docs/numerics.md §2.4). */
export const aggTokenInit: Initializer = glorotNormal;

/**
 * Prepends the learnable [AGG] vector `agg` `[d]` at index 0 of every sequence `x` `[B, N, d]`
 * -> `[B, N+1, d]`. Call it AFTER positional embeddings and DropToken: [AGG] gets no position
 * (docs/numerics.md §2.4). The backbones own the weight (`agg_embedding`); the output at index 0
 * is the pooled representation.
 *
 * @example
 * const withAgg = prependAggToken(tokens, this.aggEmbedding); // [B, 1 + N, d]
 */
export function prependAggToken(x: tf.Tensor, agg: tf.Tensor): tf.Tensor3D {
  expectRank(x, 3, 'prependAggToken', 'tokens', fmtShape(['B', 'N', 'd']));
  const [b, , d] = x.shape;
  if (agg.rank !== 1 || agg.shape[0] !== d)
    throw new Error(`prependAggToken: agg must have shape [${d}] to match tokens ${fmtShape(x.shape)}, got ${fmtShape(agg.shape)}`);
  return tf.tidy(() => tf.concat([tf.broadcastTo(tf.reshape(agg, [1, 1, d]), [b, 1, d]), x], 1) as tf.Tensor3D);
}

/** Extends a `[B, N]` padding mask with a valid (1) entry for the [AGG] token -> `[B, N+1]`. */
export function prependAggMask(mask: tf.Tensor): tf.Tensor2D {
  expectRank(mask, 2, 'prependAggMask', 'mask', '[B, N]');
  return tf.tidy(() => tf.concat([tf.ones([mask.shape[0], 1], mask.dtype), mask], 1) as tf.Tensor2D);
}
