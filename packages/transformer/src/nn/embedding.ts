import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { uniform, type Initializer } from '../initializers.js';
import { expectPositiveInt, fmtShape } from './validate.js';

export interface EmbeddingOptions {
  /** Frozen tables (VATT's word2vec) are not trained (default true). */
  trainable?: boolean;
  /** Initialiser (default Keras `uniform(-0.05, 0.05)`). */
  init?: Initializer;
}

/** Most one-hot entries materialised at once by the embedding gradient (16 MiB of float32). */
const ONE_HOT_BUDGET = 1 << 22;

/**
 * Adds the rows `dy[i]` into row `ids[i]` of a zero `[vocab, dim]` table: the gradient of a row
 * lookup. Computed as `oneHot(ids)ᵀ · dy` over chunks of ids, so it needs only OneHot and MatMul
 * (wasm has no UnsortedSegmentSum, hence no gather gradient).
 */
function scatterAddRows(dy: tf.Tensor2D, ids: tf.Tensor1D, vocab: number): tf.Tensor2D {
  return tf.tidy(() => {
    const n = ids.shape[0];
    const chunk = Math.max(1, Math.floor(ONE_HOT_BUDGET / vocab));
    let acc: tf.Tensor | undefined;
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const idsPart = n <= chunk ? ids : tf.slice(ids, [start], [size]);
      const dyPart = n <= chunk ? dy : tf.slice(dy, [start, 0], [size, -1]);
      const oneHot = tf.cast(tf.oneHot(idsPart, vocab), 'float32');
      const part = tf.matMul(tf.transpose(oneHot), dyPart); // plain matMul: transposeA is slow on wasm
      acc = acc ? tf.add(acc, part) : part;
    }
    return (acc ?? tf.zeros([vocab, dy.shape[1]])) as tf.Tensor2D;
  });
}

/**
 * A lookup table `embeddings` `[vocab, dim]`: integer ids of any shape `S` -> `[...S, dim]`.
 * Trainable on every backend: the forward pass is `tf.gather`; the gradient is a one-hot matMul
 * scatter (see `scatterAddRows`), identical on cpu, wasm and webgpu.
 *
 * @example
 * const emb = new Embedding('embedding', 65536, 300, { trainable: false });
 * const x = emb.apply(ids); // ids: int32 [B, N] -> [B, N, 300]
 */
export class Embedding extends Module {
  readonly vocab: number;
  readonly dim: number;
  readonly embeddings: tf.Variable;

  constructor(name: string, vocab: number, dim: number, opts: EmbeddingOptions = {}) {
    super(name);
    expectPositiveInt(vocab, name, 'vocab');
    expectPositiveInt(dim, name, 'dim');
    this.vocab = vocab;
    this.dim = dim;
    this.embeddings = this.param('embeddings', [vocab, dim], opts.init ?? uniform(-0.05, 0.05), { trainable: opts.trainable ?? true });
  }

  /** `ids`: int32 tensor of any shape with values in `[0, vocab)` -> float32 `[...ids.shape, dim]`. */
  apply(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32')
      throw new Error(`${this.path}: ids must be an int32 tensor of token ids in [0, ${this.vocab}), got dtype ${ids.dtype} shape ${fmtShape(ids.shape)}`);
    return tf.tidy(() => {
      const flatIds = tf.reshape(ids, [-1]) as tf.Tensor1D;
      const vocab = this.vocab;
      const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const table = args[0] as tf.Tensor;
        (args[1] as tf.GradSaveFunc)([flatIds]);
        return {
          value: tf.gather(table, flatIds),
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => scatterAddRows(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, vocab),
        };
      });
      const rows = lookup(this.embeddings);
      return tf.reshape(rows, [...ids.shape, this.dim]);
    });
  }
}
