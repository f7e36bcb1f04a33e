/**
 * Fine-tuning objectives (docs/numerics.md §8.1, §8.2): label-smoothed softmax cross-entropy
 * (video, images), class-count-weighted sigmoid BCE (AudioSet) and mixup with Beta(5, 5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';

/**
 * Softmax cross-entropy against label-smoothed targets y(1-eps) + eps/C, mean over the batch
 * (Keras `categorical_crossentropy(label_smoothing=eps)`, the official 0.1).
 *
 * @example
 * const loss = labelSmoothedCrossEntropy(logits, oneHot, 0.1);
 */
export function labelSmoothedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, smoothing = 0.1): tf.Scalar {
  if (logits.shape.join() !== targets.shape.join())
    throw new Error(`labelSmoothedCrossEntropy: logits [${logits.shape}] and targets [${targets.shape}] differ`);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`labelSmoothedCrossEntropy: smoothing must be in [0, 1), got ${smoothing}`);
  const c = logits.shape[1];
  return tf.tidy(() => {
    const t = smoothing > 0 ? tf.add(tf.mul(targets, 1 - smoothing), smoothing / c) : targets;
    return tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/**
 * AudioSet's loss (official `AudioModel`): per-class sigmoid BCE summed over classes, each example
 * scaled by w_b = sum_c (y_bc / n_c) / sum_c y_bc with n_c = sum_b y_bc the class count in the batch
 * (rare classes weigh more; 0/0 counts as 0), then the mean over the batch. Works with soft (mixup) targets.
 */
export function classBalancedSigmoidCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  if (logits.shape.join() !== targets.shape.join())
    throw new Error(`classBalancedSigmoidCrossEntropy: logits [${logits.shape}] and targets [${targets.shape}] differ`);
  return tf.tidy(() => {
    // Stable BCE with logits: max(x, 0) - x*y + log(1 + exp(-|x|)).
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const classCount = tf.sum(targets, 0, true);
    const w = tf.divNoNan(tf.sum(tf.divNoNan(targets, classCount), 1), tf.sum(targets, 1));
    return tf.mean(tf.mul(w, tf.sum(bce, 1))) as tf.Scalar;
  });
}

/**
 * Mixup (docs/numerics.md §8.2): lambda_b ~ Beta(alpha, alpha) per example (seeded stream), each example mixed with
 * the batch in reverse order, inputs and targets alike: x' = l x + (1-l) x_rev, y' = l y + (1-l) y_rev.
 * Beta is drawn as G1 / (G1 + G2) of two Gamma(alpha) draws.
 */
export function mixup<X extends tf.Tensor>(inputs: X, targets: tf.Tensor2D, alpha = 5): { inputs: X; targets: tf.Tensor2D; lambda: tf.Tensor1D } {
  const b = inputs.shape[0];
  if (targets.shape[0] !== b) throw new Error(`mixup: inputs have batch ${b}, targets ${targets.shape[0]}`);
  if (!(alpha > 0)) throw new Error(`mixup: alpha must be > 0, got ${alpha}`);
  return tf.tidy(() => {
    const g1 = tf.randomGamma([b], alpha, 1, 'float32', random.nextSeed());
    const g2 = tf.randomGamma([b], alpha, 1, 'float32', random.nextSeed());
    const lambda = tf.div(g1, tf.add(g1, g2)) as tf.Tensor1D;
    const mix = <T extends tf.Tensor>(x: T): T => {
      const l = tf.reshape(lambda, [b, ...x.shape.slice(1).map(() => 1)]);
      return tf.add(tf.mul(l, x), tf.mul(tf.sub(1, l), tf.reverse(x, 0))) as T;
    };
    return { inputs: mix(inputs), targets: mix(targets), lambda };
  });
}
