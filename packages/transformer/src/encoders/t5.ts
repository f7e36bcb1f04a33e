import * as tf from '@tensorflow/tfjs-core';
import { checkpoint } from './checkpoint.js';
import { Module } from '../module.js';
import { dropout } from '../nn/dropout.js';
import { RMSNorm } from '../nn/norm.js';
import { expectLastDim, expectPositiveInt, expectRank, expectRate, fmtShape } from '../nn/validate.js';
import { MultiHeadAttention, maskToBias } from './attention.js';
import { FeedForward } from './feed-forward.js';
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
  /** Relative position buckets (default 32, vatt-spec.md §2.3). */
  numBuckets?: number;
  /** Relative max distance (default 64). */
  maxDistance?: number;
  /** Epsilon of the RMSNorms and LayerNorms (default 1e-6). */
  lnEps?: number;
}

/**
 * T5's self-attention sub-block: `x + Drop(Attention(RMSNorm(x), bias))`, children `layer_norm`
 * (RMSNorm) and `attention` (no biases, unscaled scores; in layer 0 it owns the relative bias table).
 */
export class T5SelfAttention extends Module {
  readonly layerNorm: RMSNorm;
  readonly attention: MultiHeadAttention;
  readonly dropout: number;

  constructor(name: string, opts: T5EncoderOptions & { withRelativeBias: boolean }) {
    super(name);
    this.dropout = opts.dropout ?? 0.1;
    this.layerNorm = this.child(new RMSNorm('layer_norm', opts.dModel, { eps: opts.lnEps ?? 1e-6 }));
    this.attention = this.child(
      new MultiHeadAttention('attention', {
        dModel: opts.dModel,
        numHeads: opts.numHeads,
        dKv: opts.dKv,
        useBias: false,
        scale: false,
        attnDropout: this.dropout,
        relativeBias: opts.withRelativeBias ? { numBuckets: opts.numBuckets, maxDistance: opts.maxDistance } : undefined,
      }),
    );
  }

  /** `bias`: `[1|B, H, N, N]`, the relative position bias with the padding mask folded in. */
  apply(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(x, dropout(this.attention.apply(this.layerNorm.apply(x), { bias }), this.dropout, this.training)));
  }
}

/** One T5 encoder block: children `self_attention` and `feed_forward` (vatt-spec.md §2.6). */
export class T5EncoderLayer extends Module {
  readonly selfAttention: T5SelfAttention;
  readonly feedForward: FeedForward;

  constructor(name: string, opts: T5EncoderOptions & { withRelativeBias: boolean }) {
    super(name);
    this.selfAttention = this.child(new T5SelfAttention('self_attention', opts));
    this.feedForward = this.child(
      new FeedForward('feed_forward', { dModel: opts.dModel, dFF: opts.dFF, dropout: opts.dropout ?? 0.1, useBias: false, lnEps: opts.lnEps ?? 1e-6 }),
    );
  }

  apply(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.feedForward.apply(this.selfAttention.apply(x, bias)));
  }
}

/**
 * VATT's T5-style text encoder (vatt-spec.md §2.3, §2.6): input dropout; per layer
 * `x + Drop(Attn(RMSNorm(x)))` then `x + Drop(MLP(LayerNorm(x)))`, with bias-free, unscaled
 * attention; a learned relative position bias (32 buckets × heads) lives in layer 0, is computed
 * once with the padding mask added, and is reused by every layer; final RMSNorm and dropout.
 * Weight names: `base_lm/layers/{i}/self_attention/attention/{q,k,v,o}/kernel`,
 * `base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings`,
 * `base_lm/layers/{i}/self_attention/layer_norm/weight`, `.../feed_forward/layer_norm/{gamma,beta}`,
 * `.../feed_forward/mlp/{wi,wo}/kernel`, `base_lm/final_layer_norm/weight`.
 *
 * @example
 * const lm = new T5Encoder('base_lm', { numLayers: 6, dModel: 512, numHeads: 8, dFF: 2048 });
 * const h = lm.apply(embeddings, { mask }); // embeddings: [B, N, 512], mask: [B, N]
 */
export class T5Encoder extends Module {
  readonly dModel: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly layers: T5EncoderLayer[];
  readonly finalLayerNorm: RMSNorm;
  /** Whether training-mode passes checkpoint each layer (see `TransformerEncoderOptions.checkpointLayers`). */
  checkpointLayers = false;

  constructor(name = 'base_lm', opts: T5EncoderOptions) {
    super(name);
    expectPositiveInt(opts.numLayers, name, 'numLayers');
    this.dModel = opts.dModel;
    this.numHeads = opts.numHeads;
    this.dropout = opts.dropout ?? 0.1;
    expectRate(this.dropout, name, 'dropout');
    this.layers = [];
    for (let i = 0; i < opts.numLayers; i++) this.layers.push(this.child(new T5EncoderLayer(`layers/${i}`, { ...opts, withRelativeBias: i === 0 })));
    this.finalLayerNorm = this.child(new RMSNorm('final_layer_norm', opts.dModel, { eps: opts.lnEps ?? 1e-6 }));
  }

  /** Turns activation checkpointing of the layers on or off (see `checkpoint`). */
  setCheckpointing(on: boolean): this {
    this.checkpointLayers = on;
    return this;
  }

  /** `x`: token embeddings `[B, N, dModel]`, optional `mask` `[B, N]` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: EncoderInputs = {}): tf.Tensor {
    const expected = fmtShape(['B', 'N', this.dModel]);
    expectRank(x, 3, this.path, 'input', expected);
    expectLastDim(x, this.dModel, this.path, 'input', expected);
    const [b, n] = x.shape;
    if (inputs.mask && (inputs.mask.rank !== 2 || inputs.mask.shape[0] !== b || inputs.mask.shape[1] !== n)) {
      throw new Error(`${this.path}: mask must have shape [${b},${n}] (1 = valid, 0 = padding), got ${fmtShape(inputs.mask.shape)}`);
    }
    return tf.tidy(() => {
      let bias = this.layers[0].selfAttention.attention.positionBias(n);
      if (inputs.mask) bias = tf.add(bias, maskToBias(inputs.mask, this.path));
      let h = dropout(x, this.dropout, this.training);
      for (const layer of this.layers) {
        if (this.checkpointLayers && this.training) {
          // The position bias is an input (its table, in layer 0, gets its gradient through it).
          const table = this.layers[0].selfAttention.attention.relativeAttentionBias?.embeddings;
          const params = layer.trainableVariables().filter((v) => v !== table);
          h = checkpoint(([t, b]) => layer.apply(t, b), [h, bias], params);
        } else h = layer.apply(h, bias);
      }
      return dropout(this.finalLayerNorm.apply(h), this.dropout, this.training);
    });
  }
}
