import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Dense } from '../nn/dense.js';
import { dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { matMul } from '../nn/matmul.js';
import { expectLastDim, expectPositiveInt, expectRank, expectRate, fmtShape } from '../nn/validate.js';
import { relativePositionBuckets } from './relative-position.js';

/** Added to the scores of padded keys (docs/numerics.md §2.5). */
export const MASK_VALUE = -1e9;

export interface MultiHeadAttentionOptions {
  dModel: number;
  numHeads: number;
  /** Width of one head (default 64, docs/numerics.md §2.5). */
  dKv?: number;
  /** Biases on q, k, v, o (default true; T5 and SpT use none). */
  useBias?: boolean;
  /** Scale scores by `1/√dKv` (default true; T5 leaves them unscaled). */
  scale?: boolean;
  /** Dropout on the attention probabilities in training (default 0.1). */
  attnDropout?: number;
  /**
   * T5 relative position bias: when set, the module owns `relative_attention_bias/embeddings`
   * `[numBuckets, numHeads]` and `positionBias()` becomes available (docs/numerics.md §2.3).
   */
  relativeBias?: { numBuckets?: number; maxDistance?: number };
}

export interface AttentionInputs {
  /** `[B, N]`, 1 = valid token, 0 = padding; padded keys get `-1e9` added to their scores. */
  mask?: tf.Tensor;
  /** Additive score bias, `[1|B, H, N, N]` (T5's relative bias, possibly with the mask folded in). */
  bias?: tf.Tensor;
}

/**
 * Turns a `[B, N]` padding mask (1 = valid) into an additive key bias `[B, 1, 1, N]` holding 0 for
 * valid keys and `-1e9` for padded ones.
 */
export function maskToBias(mask: tf.Tensor, where = 'mask'): tf.Tensor {
  expectRank(mask, 2, where, 'mask', '[B, N]');
  const [b, n] = mask.shape;
  return tf.tidy(() => tf.reshape(tf.mul(tf.sub(1, mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32')), MASK_VALUE), [b, 1, 1, n]));
}

/**
 * Multi-head self-attention with separate `q`, `k`, `v` (`d -> heads·dKv`) and `o`
 * (`heads·dKv -> d`) Dense layers (docs/numerics.md §2.5, §10.2). Scores are (optionally) scaled,
 * the padding mask and the additive bias are added, softmax runs over keys, and the probabilities
 * get dropout in training. Heads are batched as `[B·H, N, dKv]` for plain batched matMuls.
 *
 * @example
 * const mha = new MultiHeadAttention('mha', { dModel: 512, numHeads: 8 });
 * const y = mha.apply(x, { mask }); // x: [B, N, 512], mask: [B, N]
 */
export class MultiHeadAttention extends Module {
  readonly dModel: number;
  readonly numHeads: number;
  readonly dKv: number;
  readonly scale: boolean;
  readonly attnDropout: number;
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  readonly relativeAttentionBias: Embedding | undefined;
  private readonly numBuckets: number;
  private readonly maxDistance: number;

  constructor(name = 'mha', opts: MultiHeadAttentionOptions) {
    super(name);
    expectPositiveInt(opts.dModel, name, 'dModel');
    expectPositiveInt(opts.numHeads, name, 'numHeads');
    this.dModel = opts.dModel;
    this.numHeads = opts.numHeads;
    this.dKv = opts.dKv ?? 64;
    expectPositiveInt(this.dKv, name, 'dKv');
    this.scale = opts.scale ?? true;
    this.attnDropout = opts.attnDropout ?? 0.1;
    expectRate(this.attnDropout, name, 'attnDropout');
    const inner = this.numHeads * this.dKv;
    const useBias = opts.useBias ?? true;
    this.q = this.child(new Dense('q', this.dModel, inner, { useBias }));
    this.k = this.child(new Dense('k', this.dModel, inner, { useBias }));
    this.v = this.child(new Dense('v', this.dModel, inner, { useBias }));
    this.o = this.child(new Dense('o', inner, this.dModel, { useBias }));
    this.numBuckets = opts.relativeBias?.numBuckets ?? 32;
    this.maxDistance = opts.relativeBias?.maxDistance ?? 64;
    this.relativeAttentionBias = opts.relativeBias ? this.child(new Embedding('relative_attention_bias', this.numBuckets, this.numHeads)) : undefined;
  }

  /**
   * T5's relative position bias for a length-`n` sequence: `[1, H, n, n]`, entry `[0, h, q, k]` =
   * `relative_attention_bias[bucket(k - q), h]`. Only for modules built with `relativeBias`.
   */
  positionBias(n: number): tf.Tensor {
    const table = this.relativeAttentionBias;
    if (!table) throw new Error(`${this.path}: positionBias() needs the module to be built with the relativeBias option`);
    expectPositiveInt(n, this.path, 'sequence length');
    const buckets = relativePositionBuckets(n, n, { numBuckets: this.numBuckets, maxDistance: this.maxDistance });
    return tf.tidy(() => {
      const values = table.apply(tf.tensor2d(buckets, [n, n], 'int32')); // [n, n, H]
      return tf.reshape(tf.transpose(values, [2, 0, 1]), [1, this.numHeads, n, n]);
    });
  }

  /** `x`: `[B, N, dModel]` -> `[B, N, dModel]`. */
  apply(x: tf.Tensor, inputs: AttentionInputs = {}): tf.Tensor {
    const expected = fmtShape(['B', 'N', this.dModel]);
    expectRank(x, 3, this.path, 'input', expected);
    expectLastDim(x, this.dModel, this.path, 'input', expected);
    const [b, n] = x.shape;
    const h = this.numHeads;
    const dk = this.dKv;
    if (inputs.mask && (inputs.mask.rank !== 2 || inputs.mask.shape[0] !== b || inputs.mask.shape[1] !== n)) {
      throw new Error(`${this.path}: mask must have shape [${b},${n}] (1 = valid, 0 = padding), got ${fmtShape(inputs.mask.shape)}`);
    }
    const bias = inputs.bias;
    if (bias) {
      const s = bias.shape;
      if (bias.rank !== 4 || (s[0] !== 1 && s[0] !== b) || s[1] !== h || s[2] !== n || s[3] !== n) {
        throw new Error(`${this.path}: bias must have shape [1|${b},${h},${n},${n}], got ${fmtShape(s)}`);
      }
    }
    return tf.tidy(() => {
      const flat = tf.reshape(x, [b * n, this.dModel]);
      // [B·N, H·dk] -> [B, H, N, dk] -> [B·H, N, dk]
      const heads = (t: tf.Tensor, perm: number[], shape: number[]): tf.Tensor => tf.reshape(tf.transpose(tf.reshape(t, [b, n, h, dk]), perm), shape);
      let q = this.q.apply(flat);
      if (this.scale) q = tf.mul(q, 1 / Math.sqrt(dk));
      const qh = heads(q, [0, 2, 1, 3], [b * h, n, dk]);
      const kh = heads(this.k.apply(flat), [0, 2, 3, 1], [b * h, dk, n]); // keys pre-transposed
      const vh = heads(this.v.apply(flat), [0, 2, 1, 3], [b * h, n, dk]);
      let scores = tf.reshape(matMul(qh, kh), [b, h, n, n]);
      if (bias) scores = tf.add(scores, bias);
      if (inputs.mask) scores = tf.add(scores, maskToBias(inputs.mask, this.path));
      let probs = tf.softmax(scores, -1);
      probs = dropout(probs, this.attnDropout, this.training);
      const context = matMul(tf.reshape(probs, [b * h, n, n]), vh); // [B·H, N, dk]
      const joined = tf.reshape(tf.transpose(tf.reshape(context, [b, h, n, dk]), [0, 2, 1, 3]), [b * n, h * dk]);
      return tf.reshape(this.o.apply(joined), [b, n, this.dModel]);
    });
  }
}
