import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { truncatedNormal } from '../initializers.js';
import { Embedding } from '../nn/embedding.js';
import { LayerNorm } from '../nn/norm.js';
import { dropout } from '../nn/dropout.js';
import { expectLastDim, expectPositiveInt, expectRank, expectRate, fmtShape } from '../nn/validate.js';
import { splineResampleMatrix } from './spline.js';

export interface PositionEmbeddingOptions {
  /** Dropout after adding the positions, in training (default 0.1, docs/numerics.md §2.1). */
  dropout?: number;
  /** Epsilon of the LayerNorm on the summed position vector (default 1e-6). */
  lnEps?: number;
  /** Stddev of the truncated-normal table init (default d^-0.5, official). */
  initStd?: number;
}

/** One factorised axis: its table name (official spelling) and bucket count. */
export interface PositionAxis {
  name: string;
  buckets: number;
}

/**
 * The rows of a learned positional `table` `[N, d]` for a grid axis of `size` cells: the table itself
 * when `size == N`, otherwise the official order-3 polyharmonic spline resample `R @ table`
 * (docs/numerics.md §2.1) -- a constant [size, N] matrix times the table, so gradients reach it.
 */
export function positionRows(table: tf.Tensor2D, size: number): tf.Tensor2D {
  const [n] = table.shape;
  if (size === n) return table;
  return tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(splineResampleMatrix(n, size)), [size, n]), table));
}

/**
 * Learned factorised absolute positions with VATT's recipe (docs/numerics.md §2.1, §2.2): one
 * table per grid axis (`<axis>/embeddings`, TruncatedNormal(d^-0.5)), the rows of the cell's
 * coordinates are SUMMED, a LayerNorm (`layernorm`, eps 1e-6) normalises that position vector,
 * and `x + LN(pos)` gets dropout 0.1 in training. Tokens are ordered row-major over the grid (first
 * axis outermost), as a flattened `[B, g0, g1, ..., d]` patch grid. A grid axis whose size differs
 * from its table is spline-resampled on the fly.
 *
 * The concrete layouts are `SpatioTemporalEmbeddings` (video), `TemporalEmbeddings` (waveform, MA
 * text) and `SpectroTemporalEmbeddings` (spectrogram).
 */
export class FactorisedPositionEmbeddings extends Module {
  readonly dim: number;
  readonly axes: readonly PositionAxis[];
  readonly tables: Embedding[];
  readonly layernorm: LayerNorm;
  readonly dropout: number;

  constructor(name: string, dim: number, axes: readonly PositionAxis[], opts: PositionEmbeddingOptions = {}) {
    super(name);
    expectPositiveInt(dim, name, 'dim');
    if (axes.length === 0) throw new Error(`${name}: at least one position axis is required`);
    for (const a of axes) expectPositiveInt(a.buckets, name, `${a.name} buckets`);
    this.dim = dim;
    this.axes = axes;
    this.dropout = opts.dropout ?? 0.1;
    expectRate(this.dropout, name, 'dropout');
    const init = truncatedNormal(opts.initStd ?? dim ** -0.5);
    this.tables = axes.map((a) => this.child(new Embedding(a.name, a.buckets, dim, { init })));
    this.layernorm = this.child(new LayerNorm('layernorm', dim, { eps: opts.lnEps ?? 1e-6 }));
  }

  /** The table sizes, e.g. [8, 14, 14]. */
  get buckets(): number[] {
    return this.axes.map((a) => a.buckets);
  }

  /** `LN(sum of the axis rows)` for every cell of `grid`, `[prod(grid), d]` (no dropout). */
  positions(grid: readonly number[]): tf.Tensor2D {
    if (grid.length !== this.axes.length || grid.some((g) => !Number.isInteger(g) || g < 1)) {
      throw new Error(`${this.path}: grid must be ${this.axes.length} positive integers [${this.axes.map((a) => a.name).join(', ')}], got [${grid}]`);
    }
    return tf.tidy(() => {
      let sum: tf.Tensor | undefined;
      this.tables.forEach((t, k) => {
        const rows = positionRows(t.embeddings as tf.Tensor2D, grid[k]);
        const shape = grid.map((g, j) => (j === k ? g : 1));
        const part = tf.reshape(rows, [...shape, this.dim]);
        sum = sum ? tf.add(sum, part) : part;
      });
      const cells = grid.reduce((a, b) => a * b, 1);
      return this.layernorm.apply(tf.reshape(sum as tf.Tensor, [cells, this.dim])) as tf.Tensor2D;
    });
  }

  /**
   * `x` `[B, N, d]` with N = prod(grid) -> `x + LN(pos)`, dropout in training. `grid` defaults to the
   * table sizes.
   */
  apply(x: tf.Tensor, grid: readonly number[] = this.buckets): tf.Tensor3D {
    const expected = fmtShape(['B', 'N', this.dim]);
    expectRank(x, 3, this.path, 'tokens', expected);
    expectLastDim(x, this.dim, this.path, 'tokens', expected);
    const cells = grid.reduce((a, b) => a * b, 1);
    if (x.shape[1] !== cells) {
      throw new Error(
        `${this.path}: grid [${grid}] has ${cells} cells but tokens has ${x.shape[1]} (shape ${fmtShape(x.shape)}); tokens must be the row-major ` +
          `flattening of the grid`,
      );
    }
    return tf.tidy(() => dropout(tf.add(x, this.positions(grid)), this.dropout, this.training) as tf.Tensor3D);
  }
}

/**
 * Video positions (docs/numerics.md §2.1), checkpoint names
 * `pos_embedding_lookup/{temporal,vertical,horizontal}_position_embeddings/embeddings` and
 * `pos_embedding_lookup/layernorm/{gamma,beta}`. Grid `[t, h, w]`, tokens t-major.
 *
 * @example
 * const pos = new SpatioTemporalEmbeddings('pos_embedding_lookup', 768, [8, 14, 14]);
 * const y = pos.apply(tokens, [8, 20, 20]); // 320 px clip: the 14-row tables are spline-resampled to 20
 */
export class SpatioTemporalEmbeddings extends FactorisedPositionEmbeddings {
  constructor(name: string, dim: number, buckets: readonly [number, number, number], opts: PositionEmbeddingOptions = {}) {
    super(
      name,
      dim,
      [
        { name: 'temporal_position_embeddings', buckets: buckets[0] },
        { name: 'vertical_position_embeddings', buckets: buckets[1] },
        { name: 'horizontal_position_embeddings', buckets: buckets[2] },
      ],
      opts,
    );
  }
}

/**
 * 1-D positions (waveform audio `[1200, d]`, modality-agnostic text `[16, d]`; docs/numerics.md §2.2):
 * `temporal_position_embeddings/embeddings` and `layernorm`. `apply(x)` uses grid [N].
 *
 * @example
 * const pos = new TemporalEmbeddings('pos_embedding_lookup', 768, 1200);
 * const y = pos.apply(tokens); // tokens: [B, 1200, 768]
 */
export class TemporalEmbeddings extends FactorisedPositionEmbeddings {
  constructor(name: string, dim: number, buckets: number, opts: PositionEmbeddingOptions = {}) {
    super(name, dim, [{ name: 'temporal_position_embeddings', buckets }], opts);
  }

  override apply(x: tf.Tensor, grid?: readonly number[]): tf.Tensor3D {
    expectRank(x, 3, this.path, 'tokens', fmtShape(['B', 'N', this.dim]));
    return super.apply(x, grid ?? [x.shape[1] as number]);
  }
}

/**
 * Spectrogram positions (SpT ablation, docs/numerics.md §2.2): `temporal_position_embeddings` [9, d]
 * and `spectoral_position_embeddings` [16, d] (official spelling), grid `[time, spectral]`, tokens
 * time-major. Note: the official code pairs the two id lists in spectral-major order while its
 * patches are time-major (a harmless scramble of a learned table); we use the consistent order.
 *
 * @example
 * const pos = new SpectroTemporalEmbeddings('pos_embedding_lookup', 768, [9, 16]);
 */
export class SpectroTemporalEmbeddings extends FactorisedPositionEmbeddings {
  constructor(name: string, dim: number, buckets: readonly [number, number], opts: PositionEmbeddingOptions = {}) {
    super(
      name,
      dim,
      [
        { name: 'temporal_position_embeddings', buckets: buckets[0] },
        { name: 'spectoral_position_embeddings', buckets: buckets[1] },
      ],
      opts,
    );
  }
}
