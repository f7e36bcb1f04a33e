import * as tf from '@tensorflow/tfjs-core';
import { dropout } from '../nn/dropout.js';
import { LayerNorm } from '../nn/norm.js';
import type { TransformerEncoderLayerOptions } from './block.js';
import { EncoderStack } from './stack.js';

export interface EncoderInputs {
  /** `[B, N]` padding mask, 1 = valid, 0 = padding. */
  mask?: tf.Tensor;
}

export interface TransformerEncoderOptions extends Omit<TransformerEncoderLayerOptions, 'layout' | 'relativeBias'> {
  numLayers: number;
  /**
   * Activation checkpointing in training: each layer keeps only its input for backprop and is
   * recomputed in the backward pass (about 1.3x the compute, a fraction of the memory; see
   * `checkpoint`). Default false. Can be switched later with `setCheckpointing`.
   */
  checkpointLayers?: boolean;
}

/**
 * The VATT Transformer encoder (docs/numerics.md §2.5): `numLayers` blocks `layers/{i}`, then (pre-LN
 * only) `final_layer_norm` and dropout. Checkpoint names follow §10.2, e.g. `tx/layers/3/mha/q/kernel`.
 *
 * @example
 * const tx = new TransformerEncoder('tx', { numLayers: 12, dModel: 768, numHeads: 12, dFF: 3072 });
 * const y = tx.apply(x, { mask }); // x: [B, N, 768]
 */
export class TransformerEncoder extends EncoderStack {
  readonly dropout: number;
  readonly finalLayerNorm: LayerNorm | undefined;

  constructor(name = 'tx', opts: TransformerEncoderOptions) {
    super(name, { ...opts, layout: 'vatt' });
    this.dropout = opts.dropout ?? 0.1;
    this.finalLayerNorm = (opts.preNorm ?? true) ? this.child(new LayerNorm('final_layer_norm', opts.dModel, { eps: opts.lnEps ?? 1e-6 })) : undefined;
  }

  /** `x`: `[B, N, dModel]`, optional `mask` `[B, N]` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: EncoderInputs = {}): tf.Tensor {
    this.checkInputs(x, inputs.mask);
    return tf.tidy(() => {
      const h = this.runLayers(x, { mask: inputs.mask });
      return this.finalLayerNorm ? dropout(this.finalLayerNorm.apply(h), this.dropout, this.training) : h;
    });
  }
}
