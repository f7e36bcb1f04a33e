import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { LayerNorm } from '../nn/norm.js';

export interface MlpOptions {
  dModel: number;
  dFF: number;
  /** Dropout between the two Dense layers in training (default 0.1). */
  dropout?: number;
  /** Biases on `wi` and `wo` (default true; T5 uses none). */
  useBias?: boolean;
}

/**
 * The Transformer MLP `wi -> exact GELU -> Dropout -> wo` (Keras name `dense_gelu_dense`,
 * checkpoint name `mlp`; vatt-spec.md §2.5). `wi`: `[d, dFF]`, `wo`: `[dFF, d]`.
 *
 * @example
 * const mlp = new Mlp('mlp', { dModel: 512, dFF: 2048 });
 * const y = mlp.apply(x); // [..., 512]
 */
export class Mlp extends Module {
  readonly wi: Dense;
  readonly wo: Dense;
  readonly dropout: number;

  constructor(name: string, opts: MlpOptions) {
    super(name);
    const useBias = opts.useBias ?? true;
    this.dropout = opts.dropout ?? 0.1;
    this.wi = this.child(new Dense('wi', opts.dModel, opts.dFF, { useBias, activation: 'gelu' }));
    this.wo = this.child(new Dense('wo', opts.dFF, opts.dModel, { useBias }));
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.wo.apply(dropout(this.wi.apply(x), this.dropout, this.training)));
  }
}

export interface FeedForwardOptions extends MlpOptions {
  /** LayerNorm epsilon (default 1e-6). */
  lnEps?: number;
  /** Pre-LN `x + Drop(MLP(LN(x)))` (default) or post-LN `LN(x + Drop(MLP(x)))`. */
  preNorm?: boolean;
}

/**
 * The feed-forward sub-block with its LayerNorm and residual: children `layer_norm` and `mlp`
 * (checkpoint `layers/{i}/feed_forward/...`, vatt-spec.md §10.2). Used by both the pre-LN encoder
 * and the T5 encoder (which also normalises with a full LayerNorm here, §2.6).
 *
 * @example
 * const ff = new FeedForward('feed_forward', { dModel: 512, dFF: 2048 });
 * const y = ff.apply(x); // x + Dropout(MLP(LayerNorm(x)))
 */
export class FeedForward extends Module {
  readonly layerNorm: LayerNorm;
  readonly mlp: Mlp;
  readonly dropout: number;
  readonly preNorm: boolean;

  constructor(name: string, opts: FeedForwardOptions) {
    super(name);
    this.dropout = opts.dropout ?? 0.1;
    this.preNorm = opts.preNorm ?? true;
    this.layerNorm = this.child(new LayerNorm('layer_norm', opts.dModel, { eps: opts.lnEps ?? 1e-6 }));
    this.mlp = this.child(new Mlp('mlp', opts));
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (this.preNorm) return tf.add(x, dropout(this.mlp.apply(this.layerNorm.apply(x)), this.dropout, this.training));
      return this.layerNorm.apply(tf.add(x, dropout(this.mlp.apply(x), this.dropout, this.training)));
    });
  }
}
