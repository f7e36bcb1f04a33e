import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Dense } from '../nn/dense.js';
import { Embedding } from '../nn/embedding.js';
import { T5Encoder } from '../encoders/t5.js';
import { fmtShape } from '../nn/validate.js';
import { aggTokenInit, prependAggMask, prependAggToken } from '../embeddings/agg-token.js';
import type { TextBackboneConfig } from '../presets.js';
import type { BackboneOutput } from './patch-transformer.js';

export interface TextBackboneInputs {
  /** `[B, L]` padding mask (1 = valid); default `ids != 0` (id 0 is padding, docs/numerics.md §1.3). */
  mask?: tf.Tensor;
}

/**
 * The T5 text backbone of the modality-specific models (docs/numerics.md §1.3, §2.3, §2.6):
 * word ids `[B, L]` -> `embedding` (`[vocab, 300]`, frozen word2vec by default) -> prepend the
 * 300-d `agg_embedding` -> `pre_proj` (Dense 300 -> d, no bias, GELU) -> `base_lm` (T5 encoder,
 * relative position bias, padding mask `ids != 0` with [AGG] always valid) -> [`post_proj`] ->
 * pooled = index 0.
 *
 * @example
 * const text = new TextTransformer(textConfig(T5_TINY, TINY_TEXT_INPUT));
 * const { pooled } = text.apply(tf.tensor2d([[5, 9, 0, 0]], [1, 4], 'int32')); // [1, 64]
 */
export class TextTransformer extends Module {
  readonly config: TextBackboneConfig;
  readonly aggEmbedding: tf.Variable;
  readonly embedding: Embedding;
  readonly preProj: Dense;
  readonly baseLm: T5Encoder;
  readonly postProj: Dense | undefined;

  constructor(config: TextBackboneConfig, opts: { name?: string } = {}) {
    super(opts.name ?? 'text');
    this.config = config;
    const e = config.input.embeddingDim;
    this.aggEmbedding = this.param('agg_embedding', [e], aggTokenInit);
    this.embedding = this.child(new Embedding('embedding', config.input.vocabSize, e, { trainable: config.trainableEmbeddings }));
    this.preProj = this.child(new Dense('pre_proj', e, config.dModel, { useBias: false, activation: 'gelu' }));
    this.baseLm = this.child(
      new T5Encoder('base_lm', {
        numLayers: config.numLayers,
        dModel: config.dModel,
        numHeads: config.numHeads,
        dKv: config.dKv,
        dFF: config.dFF,
        dropout: config.dropout,
        numBuckets: config.numRelativeBuckets,
        maxDistance: config.maxRelativeDistance,
        lnEps: config.lnEps,
      }),
    );
    this.postProj = config.postProjectionDim
      ? this.child(new Dense('post_proj', config.dModel, config.postProjectionDim, { useBias: false, activation: 'gelu' }))
      : undefined;
  }

  /** Word ids `[B, L]` (int32) -> `{ pooled [B, d], tokens [B, 1 + L, d] }`. */
  apply(ids: tf.Tensor, inputs: TextBackboneInputs = {}): BackboneOutput {
    if (ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new Error(`${this.path}: ids must be an int32 tensor [B, L] of word ids (0 = padding), got ${ids.dtype} ${fmtShape(ids.shape)}`);
    }
    const [b, l] = ids.shape as [number, number];
    if (inputs.mask && (inputs.mask.rank !== 2 || inputs.mask.shape[0] !== b || inputs.mask.shape[1] !== l)) {
      throw new Error(`${this.path}: mask must have shape [${b},${l}] to match ids, got ${fmtShape(inputs.mask.shape)}`);
    }
    return tf.tidy(() => {
      const words = this.embedding.apply(ids);
      const mask = prependAggMask(inputs.mask ? tf.cast(inputs.mask, 'float32') : tf.cast(tf.notEqual(ids, 0), 'float32'));
      const x = this.preProj.apply(prependAggToken(words, this.aggEmbedding));
      let out = this.baseLm.apply(x, { mask });
      if (this.postProj) out = this.postProj.apply(out);
      const d = out.shape[2] as number;
      return { pooled: tf.reshape(tf.slice(out, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D, tokens: out as tf.Tensor3D };
    });
  }
}
