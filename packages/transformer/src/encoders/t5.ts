import * as tf from '@tensorflow/tfjs-core';
import { dropout } from '../nn/dropout.js';
import { RMSNorm } from '../nn/norm.js';
import { expectRate } from '../nn/validate.js';
import { maskToBias } from './attention.js';
import type { TransformerEncoderLayerOptions } from './block.js';
import { EncoderStack } from './stack.js';
import type { EncoderInputs } from './transformer.js';

export interface T5EncoderOptions {
  numLayers: number;
  dModel: number;
  numHeads: number;
  /** Head width (default 64). */
  dKv?: number;
  dFF: number;
  /** Every dropout of the tower, attention probabilities included (default 0.1). */
  dropout?: number;
  /** Relative position buckets (default 32, docs/numerics.md §2.3). */
  numBuckets?: number;
  /** Relative max distance (default 64). */
  maxDistance?: number;
  /** Epsilon of the RMSNorms and LayerNorms (default 1e-6). */
  lnEps?: number;
}

/**
 * VATT's T5-style text encoder (docs/numerics.md §2.3, §2.6): input dropout; per layer
 * `x + Drop(Attn(RMSNorm(x)))` then `x + Drop(MLP(LayerNorm(x)))`, with bias-free, unscaled
 * attention (blocks with the `t5` layout); a learned relative position bias (32 buckets × heads) lives in
 * layer 0, is computed once with the padding mask added, and is reused by every layer; final RMSNorm and
 * dropout. Weight names: `base_lm/layers/{i}/self_attention/attention/{q,k,v,o}/kernel`,
 * `base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings`,
 * `base_lm/layers/{i}/self_attention/layer_norm/weight`, `.../feed_forward/layer_norm/{gamma,beta}`,
 * `.../feed_forward/mlp/{wi,wo}/kernel`, `base_lm/final_layer_norm/weight`.
 *
 * @example
 * const lm = new T5Encoder('base_lm', { numLayers: 6, dModel: 512, numHeads: 8, dFF: 2048 });
 * const h = lm.apply(embeddings, { mask }); // embeddings: [B, N, 512], mask: [B, N]
 */
export class T5Encoder extends EncoderStack {
  readonly numHeads: number;
  readonly dropout: number;
  readonly finalLayerNorm: RMSNorm;

  constructor(name = 'base_lm', opts: T5EncoderOptions) {
    const dropoutRate = opts.dropout ?? 0.1;
    expectRate(dropoutRate, name, 'dropout');
    super(name, {
      ...opts,
      dropout: dropoutRate,
      layout: 't5',
      relativeBias: { numBuckets: opts.numBuckets, maxDistance: opts.maxDistance },
    });
    this.numHeads = opts.numHeads;
    this.dropout = dropoutRate;
    this.finalLayerNorm = this.child(new RMSNorm('final_layer_norm', opts.dModel, { eps: opts.lnEps ?? 1e-6 }));
  }

  protected override layerOptions(opts: TransformerEncoderLayerOptions, i: number): TransformerEncoderLayerOptions {
    return i === 0 ? opts : { ...opts, relativeBias: undefined };
  }

  /** `x`: token embeddings `[B, N, dModel]`, optional `mask` `[B, N]` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: EncoderInputs = {}): tf.Tensor {
    this.checkInputs(x, inputs.mask);
    const n = x.shape[1] as number;
    return tf.tidy(() => {
      const attention = this.layers[0].attention;
      let bias = attention.positionBias(n);
      if (inputs.mask) bias = tf.add(bias, maskToBias(inputs.mask, this.path));
      // The bias table is used through `bias` (layer 0 computes it once for every layer).
      const table = attention.relativeAttentionBias?.embeddings;
      const h = this.runLayers(dropout(x, this.dropout, this.training), { bias }, new Set(table ? [table] : []));
      return dropout(this.finalLayerNorm.apply(h), this.dropout, this.training);
    });
  }
}
