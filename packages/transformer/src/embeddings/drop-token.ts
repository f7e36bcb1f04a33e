import * as tf from '@tensorflow/tfjs-core';
import { permutation } from '../random.js';

export interface DropTokenOptions {
  /** Fraction of tokens KEPT, in (0, 1]. The official `patch_sampling_rate` (0.5) is this keep rate. */
  keepRate?: number;
  /** Fraction of tokens DROPPED, in [0, 1) (the paper's "DropToken rate"). Give this or `keepRate`. */
  dropRate?: number;
  /**
   * Token count the keep count is computed from: the official code uses the CONFIGURED positional
   * table size (8*14*14 = 1568 video, 1200 audio), not the actual sequence (docs/numerics.md §4).
   * Defaults to the sequence length N.
   */
  configuredTokens?: number;
  /**
   * false (default, official code): one permutation per call, shared by every sample of the batch.
   * true: an independent permutation per sample (the paper's wording allows either).
   */
  perSample?: boolean;
}

/** The keep count int(keepRate * configuredTokens), validated. */
export function dropTokenKeepCount(opts: DropTokenOptions & { configuredTokens: number }): number {
  const { keepRate, dropRate, configuredTokens } = opts;
  if (keepRate !== undefined && dropRate !== undefined) throw new Error('dropToken: give keepRate or dropRate, not both');
  if (keepRate === undefined && dropRate === undefined) throw new Error('dropToken: keepRate or dropRate is required');
  if (dropRate !== undefined && !(dropRate >= 0 && dropRate < 1)) throw new Error(`dropToken: dropRate must be in [0, 1), got ${dropRate}`);
  if (keepRate !== undefined && !(keepRate > 0 && keepRate <= 1)) throw new Error(`dropToken: keepRate must be in (0, 1], got ${keepRate}`);
  if (!Number.isInteger(configuredTokens) || configuredTokens < 1)
    throw new Error(`dropToken: configuredTokens must be a positive integer, got ${configuredTokens}`);
  const keep = keepRate ?? 1 - (dropRate as number);
  // Round away float noise (1 - 0.7 = 0.30000000000000004) before the official int() truncation.
  const count = Math.floor(Number((keep * configuredTokens).toPrecision(12)));
  if (count < 1) throw new Error(`dropToken: keep count int(${keep} * ${configuredTokens}) = ${count}; at least one token must be kept`);
  return count;
}

/** Which tokens DropToken keeps: flat row indices `b * N + n` for `[B, keep]` (see `dropToken`). */
export interface TokenSelection {
  batch: number;
  tokens: number;
  keep: number;
  /** `[batch * keep]` indices into the `[batch * tokens]` rows, sample-major. */
  rows: Int32Array;
}

/**
 * Draws a DropToken selection for `batch` sequences of `tokens` tokens: keep =
 * int(keepRate * configuredTokens) clamped to `tokens` (the official slice keeps all when the
 * sequence is shorter), one permutation of the seeded stream shared by the batch (official) or one
 * per sample. Kept tokens stay in permutation order, as the official `tf.random.shuffle` + slice.
 */
export function dropTokenSelection(batch: number, tokens: number, opts: DropTokenOptions): TokenSelection {
  const keep = Math.min(tokens, dropTokenKeepCount({ ...opts, configuredTokens: opts.configuredTokens ?? tokens }));
  const rows = new Int32Array(batch * keep);
  const shared = opts.perSample ? undefined : permutation(tokens);
  for (let b = 0; b < batch; b++) {
    const p = shared ?? permutation(tokens);
    for (let k = 0; k < keep; k++) rows[b * keep + k] = b * tokens + p[k];
  }
  return { batch, tokens, keep, rows };
}

/**
 * Applies a selection to `x` `[B, N, ...]` -> `[B, keep, ...]` (tokens, or a `[B, N]` mask). A gather
 * with a constant index tensor whose gradient is a scatter of unique rows, so it is differentiable on
 * every backend (wasm has no gather gradient).
 */
export function selectTokens(x: tf.Tensor, sel: TokenSelection): tf.Tensor {
  if (x.rank < 2 || x.shape[0] !== sel.batch || x.shape[1] !== sel.tokens) {
    throw new Error(`selectTokens: input must have shape [${sel.batch}, ${sel.tokens}, ...] to match the selection, got [${x.shape}]`);
  }
  const rest = x.shape.slice(2);
  const width = rest.reduce((a, b) => a * b, 1);
  const { batch: B, tokens: N, keep } = sel;
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const idx = tf.tensor1d(sel.rows, 'int32');
    (args[1] as tf.GradSaveFunc)([idx]);
    const value = tf.reshape(tf.gather(tf.reshape(input, [B * N, width]), idx), [B, keep, ...rest]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.reshape(tf.scatterND(tf.reshape(saved[0] as tf.Tensor, [B * keep, 1]), tf.reshape(dy, [B * keep, width]), [B * N, width]), x.shape),
    };
  });
  return x.dtype === 'float32'
    ? run(x)
    : tf.tidy(() => tf.reshape(tf.gather(tf.reshape(x, [B * N, width]), tf.tensor1d(sel.rows, 'int32')), [B, keep, ...rest]));
}

/**
 * DropToken (docs/numerics.md §4, paper section 3.1.1): keeps a random subset of the tokens
 * `x` `[B, N, d]` (after positional embeddings, before the [AGG] token) -> `[B, keep, d]` with
 * keep = int(keepRate * configuredTokens), clamped to N. Randomness comes from the seeded stream
 * (`random.permutation`): one permutation per call shared by the batch (official) or, with
 * `perSample`, one per sample.
 *
 * Call it in training only; inference sees every token (the backbones do this for you).
 * Differentiable on cpu, wasm and webgpu.
 *
 * @example
 * const kept = dropToken(tokens, { keepRate: 0.5, configuredTokens: 1568 }); // [B, 784, d]
 */
export function dropToken(x: tf.Tensor3D, opts: DropTokenOptions): tf.Tensor3D {
  if (x.rank !== 3) throw new Error(`dropToken: tokens must be [batch, tokens, dim], got shape [${x.shape}]`);
  return selectTokens(x, dropTokenSelection(x.shape[0], x.shape[1], opts)) as tf.Tensor3D;
}
