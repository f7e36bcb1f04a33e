import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { LayerNorm, RMSNorm } from '../nn/norm.js';
import { expectRate } from '../nn/validate.js';
import { MultiHeadAttention, type AttentionInputs } from './attention.js';

/**
 * Where a block's four parts live in a checkpoint. `vatt`: the ViT / WaT / SpT / modality-agnostic
 * blocks (`modeling/common/transformers.py`); `t5`: the text tower's T5 blocks (docs/numerics.md §2.6).
 */
const LAYOUTS = {
  vatt: { ln1: 'layer_norm', attention: 'mha', ln2: 'feed_forward/layer_norm', mlp: 'feed_forward/mlp' },
  t5: { ln1: 'self_attention/layer_norm', attention: 'self_attention/attention', ln2: 'feed_forward/layer_norm', mlp: 'feed_forward/mlp' },
} as const;

export interface TransformerEncoderLayerOptions {
  dModel: number;
  numHeads: number;
  /** Head width (default 64). */
  dKv?: number;
  /** MLP hidden width (4·dModel in every VATT preset). */
  dFF: number;
  /** Residual and MLP dropout (default 0.1). */
  dropout?: number;
  /** Attention-probability dropout (default 0.1; T5 uses `dropout`). */
  attnDropout?: number;
  /** Epsilon of both norms (default 1e-6, docs/numerics.md §2.5). */
  lnEps?: number;
  /** Pre-LN (default, every VATT config) or post-LN; T5 blocks are always pre-norm. */
  preNorm?: boolean;
  /** Biases in attention and MLP Dense layers (default true; T5 has none). */
  useBias?: boolean;
  /**
   * `vatt` (default): LayerNorm, scaled attention. `t5`: RMSNorm before attention, unscaled bias-free
   * attention that adds the caller's relative position bias, LayerNorm before the MLP, and the T5
   * checkpoint names (docs/numerics.md §2.6).
   */
  layout?: keyof typeof LAYOUTS;
  /** T5 only: this block owns the relative position bias table (layer 0, docs/numerics.md §2.3). */
  relativeBias?: { numBuckets?: number; maxDistance?: number };
}

/**
 * The Transformer MLP `wi -> exact GELU -> Dropout -> wo` (checkpoint name `mlp`, docs/numerics.md §2.5).
 * `wi`: `[d, dFF]`, `wo`: `[dFF, d]`.
 *
 * @example
 * const mlp = new Mlp('mlp', { dModel: 512, dFF: 2048 });
 * const y = mlp.apply(x); // [..., 512]
 */
export class Mlp extends Module {
  readonly wi: Dense;
  readonly wo: Dense;
  readonly dropout: number;

  constructor(name: string, opts: { dModel: number; dFF: number; dropout?: number; useBias?: boolean }) {
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

/**
 * One Transformer block, the same for every tower (docs/numerics.md §2.5, §2.6): norm 1, self-attention,
 * norm 2 and the MLP, with both residuals here.
 *
 *   pre-norm:  x = x + Drop(Attention(ln1(x)));  x = x + Drop(MLP(ln2(x)))
 *   post-norm: x = ln1(x + Drop(Attention(x)));  x = ln2(x + Drop(MLP(x)))
 *
 * Checkpoint names (relative to the block): `layer_norm`, `mha`, `feed_forward/layer_norm`,
 * `feed_forward/mlp` (`vatt`), or `self_attention/layer_norm`, `self_attention/attention`, ... (`t5`).
 * No final norm: the encoder stack has it.
 *
 * @example
 * const layer = new TransformerEncoderLayer('layers/0', { dModel: 512, numHeads: 8, dFF: 2048 });
 * const y = layer.apply(x, { mask }); // [B, N, 512]
 */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly dropout: number;
  readonly preNorm: boolean;
  readonly ln1: LayerNorm | RMSNorm;
  readonly attention: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;

  constructor(name: string, opts: TransformerEncoderLayerOptions) {
    super(name);
    const t5 = opts.layout === 't5';
    const names = LAYOUTS[opts.layout ?? 'vatt'];
    this.dModel = opts.dModel;
    this.dropout = opts.dropout ?? 0.1;
    expectRate(this.dropout, name, 'dropout');
    this.preNorm = t5 || (opts.preNorm ?? true);
    const eps = opts.lnEps ?? 1e-6;
    const useBias = t5 ? false : opts.useBias;
    this.ln1 = this.child(t5 ? new RMSNorm(names.ln1, opts.dModel, { eps }) : new LayerNorm(names.ln1, opts.dModel, { eps }));
    this.attention = this.child(
      new MultiHeadAttention(names.attention, {
        dModel: opts.dModel,
        numHeads: opts.numHeads,
        dKv: opts.dKv,
        useBias,
        scale: !t5,
        attnDropout: t5 ? this.dropout : opts.attnDropout,
        relativeBias: t5 ? opts.relativeBias : undefined,
      }),
    );
    this.ln2 = this.child(new LayerNorm(names.ln2, opts.dModel, { eps }));
    this.mlp = this.child(new Mlp(names.mlp, { dModel: opts.dModel, dFF: opts.dFF, dropout: this.dropout, useBias }));
  }

  /** `x`: `[B, N, dModel]`; `mask` `[B, N]` (1 = valid) and/or an additive score `bias` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: AttentionInputs = {}): tf.Tensor {
    return tf.tidy(() => {
      const drop = (h: tf.Tensor) => dropout(h, this.dropout, this.training);
      const attend = (h: tf.Tensor) => drop(this.attention.apply(h, inputs));
      const mlp = (h: tf.Tensor) => drop(this.mlp.apply(h));
      if (!this.preNorm) {
        const h = this.ln1.apply(tf.add(x, attend(x)));
        return this.ln2.apply(tf.add(h, mlp(h)));
      }
      const h = tf.add(x, attend(this.ln1.apply(x)));
      return tf.add(h, mlp(this.ln2.apply(h)));
    });
  }
}
