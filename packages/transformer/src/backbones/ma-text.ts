/**
 * The text path of the modality-agnostic model (docs/numerics.md §3.3): word embedding (frozen
 * word2vec by default) -> pre_proj Dense(d, GELU, bias) -> learned absolute positions (same LN recipe as
 * audio) -> [AGG] -> the SHARED encoder -> post_proj Dense(d, GELU) -> index 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Dense } from '../nn/dense.js';
import { Embedding } from '../nn/embedding.js';
import { aggTokenInit, prependAggMask, prependAggToken } from '../embeddings/agg-token.js';
import { TemporalEmbeddings } from '../embeddings/positions.js';
import type { TransformerEncoder } from '../encoders/transformer.js';
import type { TextBackboneConfig } from '../presets.js';
import type { BackboneOutput } from './patch-transformer.js';

/** The text tower of VATT-MA: its own embedding and projections around the shared encoder (see the file comment). */
export class ModalityAgnosticText extends Module {
  readonly embedding: Embedding;
  readonly preProj: Dense;
  readonly positions: TemporalEmbeddings;
  readonly postProj: Dense;
  readonly aggEmbedding: tf.Variable;

  constructor(
    readonly config: TextBackboneConfig,
    private readonly encoder: TransformerEncoder,
    name = 'text',
  ) {
    super(name);
    const d = encoder.dModel;
    const { vocabSize, embeddingDim, maxTokens } = config.input;
    this.embedding = this.child(new Embedding('embedding', vocabSize, embeddingDim, { trainable: config.trainableEmbeddings }));
    this.preProj = this.child(new Dense('pre_proj', embeddingDim, d, { activation: 'gelu' }));
    this.positions = this.child(new TemporalEmbeddings('pos_embedding_lookup', d, maxTokens, { dropout: config.dropout, lnEps: config.lnEps }));
    this.aggEmbedding = this.param('agg_embedding', [d], aggTokenInit);
    this.postProj = this.child(new Dense('post_proj', d, d, { activation: 'gelu' }));
  }

  /** ids [B, L] int32 (0 = padding) -> { pooled [B, d], tokens [B, 1 + L, d] }. */
  apply(ids: tf.Tensor): BackboneOutput {
    if (ids.rank !== 2) throw new Error(`${this.name}: text ids must have shape [B, L], got [${ids.shape}]`);
    return tf.tidy(() => {
      const mask = tf.cast(tf.notEqual(ids, 0), 'float32') as tf.Tensor2D;
      let x = this.preProj.apply(this.embedding.apply(ids));
      x = this.positions.apply(x);
      const tokens = prependAggToken(x as tf.Tensor3D, this.aggEmbedding);
      const hidden = this.postProj.apply(this.encoder.apply(tokens, { mask: prependAggMask(mask) })) as tf.Tensor3D;
      const [b, , d] = hidden.shape;
      return { pooled: tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D, tokens: hidden };
    });
  }
}
