import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { ones, zeros } from '../initializers.js';
import { expectLastDim, expectPositiveInt, fmtShape } from './validate.js';

export interface NormOptions {
  /** Added to the variance before the square root (default 1e-6, docs/numerics.md §2.5; tfjs-layers uses 1e-3). */
  eps?: number;
}

/**
 * Keras LayerNormalization over the last axis: `(x - mean) / sqrt(var + eps) · gamma + beta`
 * (biased variance). Weights `gamma` (ones) and `beta` (zeros), both `[dim]`.
 *
 * @example
 * const ln = new LayerNorm('layer_norm', 512);
 * const y = ln.apply(x); // [..., 512]
 */
export class LayerNorm extends Module {
  readonly dim: number;
  readonly eps: number;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(name: string, dim: number, opts: NormOptions = {}) {
    super(name);
    expectPositiveInt(dim, name, 'dim');
    this.dim = dim;
    this.eps = opts.eps ?? 1e-6;
    this.gamma = this.param('gamma', [dim], ones);
    this.beta = this.param('beta', [dim], zeros);
  }

  apply(x: tf.Tensor): tf.Tensor {
    expectLastDim(x, this.dim, this.path, 'input', fmtShape(['...', this.dim]));
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normed, this.gamma), this.beta);
    });
  }
}

/**
 * T5's layer norm (RMSNorm): `x · rsqrt(mean(x²) + eps) · weight` — no mean subtraction, no bias
 * (docs/numerics.md §2.6). Weight `weight` `[dim]` (ones).
 *
 * @example
 * const norm = new RMSNorm('layer_norm', 512);
 * const y = norm.apply(x);
 */
export class RMSNorm extends Module {
  readonly dim: number;
  readonly eps: number;
  readonly weight: tf.Variable;

  constructor(name: string, dim: number, opts: NormOptions = {}) {
    super(name);
    expectPositiveInt(dim, name, 'dim');
    this.dim = dim;
    this.eps = opts.eps ?? 1e-6;
    this.weight = this.param('weight', [dim], ones);
  }

  apply(x: tf.Tensor): tf.Tensor {
    expectLastDim(x, this.dim, this.path, 'input', fmtShape(['...', this.dim]));
    return tf.tidy(() => {
      const meanSquare = tf.mean(tf.square(x), -1, true);
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.eps))), this.weight);
    });
  }
}

export interface BatchNormOptions {
  /** Keras momentum: `moving = momentum · moving + (1 - momentum) · batch` (default 0.9, docs/numerics.md §14). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Keras BatchNormalization over the last (channel) axis. Trainable `gamma`, `beta`; frozen
 * `moving_mean`, `moving_variance` (all `[dim]`).
 *
 * - Training (`train()`): normalises with the batch mean and biased batch variance over every axis
 *   but the last, and updates the moving statistics Keras-style with the biased variance.
 * - Inference (`eval()`): normalises with the moving statistics.
 *
 * The moving statistics are updated by `Variable.assign` inside `apply`. This is safe inside
 * `tf.variableGrads` / `optimizer.minimize`: the moving variables are not trainable, are not read
 * in training mode, and `assign` is not a recorded op, so the tape and the gradients of `gamma`,
 * `beta` and the input are unaffected; the new values are kept alive by the variables when the
 * surrounding tidy ends. Each training-mode `apply` performs exactly one update.
 *
 * @example
 * const bn = new BatchNorm('bn', 512).train();
 * const y = bn.apply(x); // x: [B, 512]; moving stats move 10% toward the batch stats
 */
export class BatchNorm extends Module {
  readonly dim: number;
  readonly momentum: number;
  readonly eps: number;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;

  constructor(name: string, dim: number, opts: BatchNormOptions = {}) {
    super(name);
    expectPositiveInt(dim, name, 'dim');
    this.dim = dim;
    this.momentum = opts.momentum ?? 0.9;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`${name}: momentum must be in [0, 1], got ${this.momentum}`);
    this.gamma = this.param('gamma', [dim], ones);
    this.beta = this.param('beta', [dim], zeros);
    this.movingMean = this.param('moving_mean', [dim], zeros, { trainable: false });
    this.movingVariance = this.param('moving_variance', [dim], ones, { trainable: false });
  }

  /** `x`: `[..., dim]` with at least one batch axis. */
  apply(x: tf.Tensor): tf.Tensor {
    const expected = fmtShape(['N', '...', this.dim]);
    expectLastDim(x, this.dim, this.path, 'input', expected);
    if (x.rank < 2) throw new Error(`${this.path}: input must have shape ${expected} (rank >= 2), got ${fmtShape(x.shape)}`);
    return tf.tidy(() => {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (this.training) {
        const axes = x.shape.slice(0, -1).map((_, i) => i);
        ({ mean, variance } = tf.moments(x, axes));
        const m = this.momentum;
        const d = [this.dim];
        this.movingMean.assign(tf.add(tf.mul(this.movingMean, m), tf.mul(tf.reshape(mean, d), 1 - m)));
        this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, m), tf.mul(tf.reshape(variance, d), 1 - m)));
      } else {
        mean = this.movingMean;
        variance = this.movingVariance;
      }
      const scale = tf.mul(tf.rsqrt(tf.add(variance, this.eps)), this.gamma);
      return tf.add(tf.mul(tf.sub(x, mean), scale), this.beta);
    });
  }
}
