import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_TEMPERATURE } from './mil-nce.js';
import { l2Normalize } from './normalize.js';
import { checkMatrix, checkPositive } from './validate.js';

/** Options of {@link symmetricInfoNce}. */
export interface SymmetricInfoNceOptions {
  /** Softmax temperature τ. Default 0.07 (VATT's value, §6.1). */
  temperature?: number;
}

/**
 * CLIP-style symmetric InfoNCE: the **mean** of two cross-entropies with separate denominators,
 * a→b (`softmax` over row i of `â·b̂ᵀ/τ`, target i) and b→a (over column i). Inputs are L2-normalised inside.
 *
 * Not what VATT trains with (that is {@link milNce}/{@link nce}: one concatenated denominator per clip). The
 * official `SymmetricNCE` (unused by the VATT configs, docs/numerics.md §6.2) also has separate denominators but
 * *sums* the two directions, i.e. 2× this value.
 *
 * @param a `[B, D]` embeddings of one modality; row i is paired with row i of `b`.
 * @param b `[B, D]` embeddings of the other modality.
 * @returns a scalar.
 *
 * @example
 * const a = tf.randomNormal([4, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
 * symmetricInfoNce(a, a, { temperature: 0.1 }).print();
 */
export function symmetricInfoNce(a: tf.Tensor2D, b: tf.Tensor2D, options: SymmetricInfoNceOptions = {}): tf.Scalar {
  const fn = 'symmetricInfoNce';
  const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
  checkPositive(fn, 'temperature', temperature);
  checkMatrix(fn, 'a', a, undefined, undefined, '[B, D]');
  checkMatrix(fn, 'b', b, a.shape[0], a.shape[1], `[B, D] = [${a.shape[0]}, ${a.shape[1]}] (B and D from a)`);
  return tf.tidy(() => {
    const aUnit = l2Normalize(a);
    const bUnit = l2Normalize(b);
    const invTemperature = 1 / temperature;
    const logits = tf.mul(tf.matMul(aUnit, bUnit, false, true), invTemperature); // [B, B]
    const positives = tf.mul(tf.sum(tf.mul(aUnit, bUnit), 1), invTemperature); // diagonal, [B]
    const aToB = tf.mean<tf.Scalar>(tf.sub(tf.logSumExp(logits, 1), positives));
    const bToA = tf.mean<tf.Scalar>(tf.sub(tf.logSumExp(logits, 0), positives));
    return tf.mul<tf.Scalar>(tf.add(aToB, bToA), 0.5);
  });
}
