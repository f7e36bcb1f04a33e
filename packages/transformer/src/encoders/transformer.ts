import * as tf from '@tensorflow/tfjs-core';
import { checkpoint } from './checkpoint.js';
import { Module } from '../module.js';
import { dropout } from '../nn/dropout.js';
import { LayerNorm } from '../nn/norm.js';
import { expectLastDim, expectPositiveInt, expectRank, expectRate, fmtShape } from '../nn/validate.js';
import { MultiHeadAttention } from './attention.js';
import { FeedForward } from './feed-forward.js';

export interface TransformerEncoderLayerOptions {
  dModel: number;
  numHeads: number;
  /** Head width (default 64). */
  dKv?: number;
  /** MLP hidden width (4·dModel in every VATT preset). */
  dFF: number;
  /** Residual and MLP dropout (default 0.1). */
  dropout?: number;
  /** Attention-probability dropout (default 0.1). */
  attnDropout?: number;
  /** LayerNorm epsilon (default 1e-6, vatt-spec.md §2.5). */
  lnEps?: number;
  /** Pre-LN (default, every VATT config) or post-LN. */
  preNorm?: boolean;
  /** Biases in attention and MLP Dense layers (default true). */
  useBias?: boolean;
}

export interface EncoderInputs {
  /** `[B, N]` padding mask, 1 = valid, 0 = padding. */
  mask?: tf.Tensor;
}

/**
 * One VATT Transformer block (vatt-spec.md §2.5), children `layer_norm`, `mha`, `feed_forward`.
 * Pre-LN: `x = x + Drop(MHA(LN1(x)))`, `x = x + Drop(MLP(LN2(x)))`. Post-LN:
 * `x = LN1(x + Drop(MHA(x)))`, `x = LN2(x + Drop(MLP(x)))`. No final LayerNorm (the stack has it).
 *
 * @example
 * const layer = new TransformerEncoderLayer('layers/0', { dModel: 512, numHeads: 8, dFF: 2048 });
 * const y = layer.apply(x, { mask }); // [B, N, 512]
 */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly dropout: number;
  readonly preNorm: boolean;
  readonly layerNorm: LayerNorm;
  readonly mha: MultiHeadAttention;
  readonly feedForward: FeedForward;

  constructor(name: string, opts: TransformerEncoderLayerOptions) {
    super(name);
    this.dModel = opts.dModel;
    this.dropout = opts.dropout ?? 0.1;
    expectRate(this.dropout, name, 'dropout');
    this.preNorm = opts.preNorm ?? true;
    const lnEps = opts.lnEps ?? 1e-6;
    this.layerNorm = this.child(new LayerNorm('layer_norm', opts.dModel, { eps: lnEps }));
    this.mha = this.child(
      new MultiHeadAttention('mha', {
        dModel: opts.dModel,
        numHeads: opts.numHeads,
        dKv: opts.dKv,
        useBias: opts.useBias,
        attnDropout: opts.attnDropout,
      }),
    );
    this.feedForward = this.child(
      new FeedForward('feed_forward', { dModel: opts.dModel, dFF: opts.dFF, dropout: this.dropout, useBias: opts.useBias, lnEps, preNorm: this.preNorm }),
    );
  }

  /** `x`: `[B, N, dModel]` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: EncoderInputs = {}): tf.Tensor {
    return tf.tidy(() => {
      const attend = (h: tf.Tensor) => dropout(this.mha.apply(h, { mask: inputs.mask }), this.dropout, this.training);
      const h = this.preNorm ? tf.add(x, attend(this.layerNorm.apply(x))) : this.layerNorm.apply(tf.add(x, attend(x)));
      return this.feedForward.apply(h);
    });
  }
}

export interface TransformerEncoderOptions extends TransformerEncoderLayerOptions {
  numLayers: number;
  /**
   * Activation checkpointing in training: each layer keeps only its input for backprop and is
   * recomputed in the backward pass (about 1.3x the compute, a fraction of the memory; see
   * `checkpoint`). Default false. Can be switched later with `setCheckpointing`.
   */
  checkpointLayers?: boolean;
}

/**
 * The VATT Transformer encoder (vatt-spec.md §2.5): `numLayers` blocks `layers/{i}`, then (pre-LN
 * only) `final_layer_norm` and dropout. Checkpoint names follow §10.2, e.g.
 * `tx/layers/3/mha/q/kernel`.
 *
 * @example
 * const tx = new TransformerEncoder('tx', { numLayers: 12, dModel: 768, numHeads: 12, dFF: 3072 });
 * const y = tx.apply(x, { mask }); // x: [B, N, 768]
 */
export class TransformerEncoder extends Module {
  readonly dModel: number;
  readonly dropout: number;
  readonly layers: TransformerEncoderLayer[];
  readonly finalLayerNorm: LayerNorm | undefined;
  /** Whether training-mode passes checkpoint each layer (see `TransformerEncoderOptions.checkpointLayers`). */
  checkpointLayers: boolean;

  constructor(name = 'tx', opts: TransformerEncoderOptions) {
    super(name);
    expectPositiveInt(opts.numLayers, name, 'numLayers');
    this.dModel = opts.dModel;
    this.dropout = opts.dropout ?? 0.1;
    this.layers = [];
    for (let i = 0; i < opts.numLayers; i++) this.layers.push(this.child(new TransformerEncoderLayer(`layers/${i}`, opts)));
    this.finalLayerNorm = (opts.preNorm ?? true) ? this.child(new LayerNorm('final_layer_norm', opts.dModel, { eps: opts.lnEps ?? 1e-6 })) : undefined;
    this.checkpointLayers = opts.checkpointLayers ?? false;
  }

  /** Turns activation checkpointing of the layers on or off. */
  setCheckpointing(on: boolean): this {
    this.checkpointLayers = on;
    return this;
  }

  /** `x`: `[B, N, dModel]`, optional `mask` `[B, N]` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: EncoderInputs = {}): tf.Tensor {
    const expected = fmtShape(['B', 'N', this.dModel]);
    expectRank(x, 3, this.path, 'input', expected);
    expectLastDim(x, this.dModel, this.path, 'input', expected);
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) {
        if (this.checkpointLayers && this.training) {
          const mask = inputs.mask ? [inputs.mask] : [];
          h = checkpoint(([x], [m]) => layer.apply(x, { mask: m }), [h], layer.trainableVariables(), mask);
        } else h = layer.apply(h, inputs);
      }
      if (this.finalLayerNorm) h = dropout(this.finalLayerNorm.apply(h), this.dropout, this.training);
      return h;
    });
  }
}
