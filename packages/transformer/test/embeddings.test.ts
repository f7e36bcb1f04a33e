import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { forEachBackend, testBackends, maxAbsDiff, expectNoLeak, useBackend } from '@vatt-testing/backends';
import {
  splineResampleMatrix,
  resamplePositions,
  SpatioTemporalEmbeddings,
  TemporalEmbeddings,
  PatchProjection,
  fromConv3dKernel,
  toConv3dKernel,
  fromConvKernel,
  dropToken,
  dropTokenKeepCount,
  dropTokenSelection,
  prependAggToken,
} from '../src/embeddings/index.js';
import { setSeed } from '../src/random.js';

const golden = (name: string) => JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), 'utf8'));
const spline = golden('emb_spline');
const positions = golden('emb_positions');
const patch = golden('emb_patch');

/** Patchify a channels-last video [B,T,H,W,C] into [B, N, t*h*w*C] in (t, h, w, c) order (plain JS, independent of the library). */
function patchify(video: number[][][][][], [t, h, w]: number[]): number[][][] {
  return video.map((clip) => {
    const T = clip.length,
      H = clip[0].length,
      W = clip[0][0].length;
    const out: number[][] = [];
    for (let a = 0; a < T / t; a++)
      for (let b = 0; b < H / h; b++)
        for (let c = 0; c < W / w; c++) {
          const p: number[] = [];
          for (let i = 0; i < t; i++) for (let j = 0; j < h; j++) for (let k = 0; k < w; k++) p.push(...clip[a * t + i][b * h + j][c * w + k]);
          out.push(p);
        }
    return out;
  });
}

describe('polyharmonic spline resampling (docs/numerics.md §2.1)', () => {
  beforeAll(() => useBackend('cpu'));
  test('an unchanged size is the identity and every row of a resample sums to 1 (the linear term reproduces constants)', () => {
    const id = splineResampleMatrix(5, 5);
    expect(Array.from(id)).toEqual(Array.from(tf.eye(5).dataSync()));
    const r = splineResampleMatrix(14, 20);
    for (let j = 0; j < 20; j++) {
      let s = 0;
      for (let i = 0; i < 14; i++) s += r[j * 14 + i];
      expect(Math.abs(s - 1)).toBeLessThan(1e-9);
    }
  });

  test('a one-row table resamples to a constant table', () => {
    expect(Array.from(splineResampleMatrix(1, 3))).toEqual([1, 1, 1]);
  });

  test('bad sizes are rejected with the argument named', () => {
    expect(() => splineResampleMatrix(0, 4)).toThrow(/sourceSize/);
    expect(() => resamplePositions(tf.zeros([3]) as unknown as tf.Tensor2D, 4)).toThrow(/table must be \[buckets, dim\]/);
  });
});

forEachBackend(testBackends(), (backend) => {
  describe('resamplePositions matches scipy RBFInterpolator(cubic, degree 1) = tfa interpolate_spline(order 3)', () => {
    for (const c of spline.cases as Array<{ from: number; to: number; table: number[][]; expected: number[][] }>) {
      test(`${c.from} -> ${c.to} buckets within 1e-5`, () => {
        const out = tf.tidy(() => resamplePositions(tf.tensor2d(c.table), c.to));
        expect(out.shape).toEqual([c.to, c.table[0].length]);
        expect(maxAbsDiff(out.dataSync(), c.expected.flat())).toBeLessThanOrEqual(1e-5);
        out.dispose();
      });
    }
  });

  describe('SpatioTemporalEmbeddings (pos_embedding_lookup)', () => {
    const g = positions.spatioTemporal;
    const build = () => {
      const pos = new SpatioTemporalEmbeddings('pos_embedding_lookup', g.dim, g.buckets);
      pos.loadWeights({
        'temporal_position_embeddings/embeddings': tf.tensor2d(g.temporal),
        'vertical_position_embeddings/embeddings': tf.tensor2d(g.vertical),
        'horizontal_position_embeddings/embeddings': tf.tensor2d(g.horizontal),
        'layernorm/gamma': tf.tensor1d(g.gamma),
        'layernorm/beta': tf.tensor1d(g.beta),
      });
      return pos;
    };

    test('has the official weight names and TruncatedNormal(d^-0.5) tables', () => {
      const pos = new SpatioTemporalEmbeddings('pos_embedding_lookup', 64, [8, 14, 14]);
      expect(pos.namedParameters().map(([n, v]) => `${n} [${v.shape}]`)).toEqual([
        'temporal_position_embeddings/embeddings [8,64]',
        'vertical_position_embeddings/embeddings [14,64]',
        'horizontal_position_embeddings/embeddings [14,64]',
        'layernorm/gamma [64]',
        'layernorm/beta [64]',
      ]);
      const t = Array.from(pos.tables[1].embeddings.dataSync());
      const std = Math.sqrt(t.reduce((s, x) => s + x * x, 0) / t.length);
      expect(std).toBeGreaterThan(0.08);
      expect(std).toBeLessThan(0.125); // truncated at 2 std: ~0.88 * 0.125
      expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(2 * 0.125 + 1e-6);
      pos.dispose();
    });

    for (const c of g.cases as Array<{ grid: number[]; x: number[][][]; expected: number[][][] }>) {
      test(`x + LN(E_t + E_v + E_h) on grid [${c.grid}] matches the numpy reference (tables ${g.buckets})`, () => {
        const pos = build();
        const y = pos.apply(tf.tensor3d(c.x), c.grid);
        expect(maxAbsDiff(y.dataSync(), c.expected.flat(2))).toBeLessThanOrEqual(1e-5);
        y.dispose();
        pos.dispose();
      });
    }

    test('dropout acts only in training, and a grid that does not match the tokens is an error naming both', () => {
      const pos = build();
      const x = tf.tensor3d(g.cases[0].x);
      const a = pos.apply(x, g.cases[0].grid);
      pos.train();
      const b = pos.apply(x, g.cases[0].grid);
      expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeGreaterThan(0);
      expect(() => pos.apply(x, [2, 2, 2])).toThrow(/grid \[2,2,2\] has 8 cells but tokens has 36/);
      tf.dispose([x, a, b]);
      pos.dispose();
    });

    test('gradients reach all three tables and the LayerNorm through a resample, without leaks', async () => {
      const pos = build();
      const x = tf.tensor3d(g.cases[1].x);
      const w = tf.randomNormal(x.shape, 0, 1, 'float32', 3);
      const step = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(tf.mul(pos.apply(x, g.cases[1].grid), w)) as tf.Scalar, pos.trainableVariables());
          return Object.values(grads).map((t) => tf.sum(tf.abs(t)).dataSync()[0]);
        });
      expect(step().every((s) => s > 0)).toBe(true);
      await expectNoLeak(step);
      tf.dispose([x, w]);
      pos.dispose();
    });
  });

  describe('TemporalEmbeddings', () => {
    const g = positions.temporal;
    for (const c of g.cases as Array<{ tokens: number; x: number[][][]; expected: number[][][] }>) {
      test(`x + LN(E_t) for ${c.tokens} tokens from a ${g.buckets}-row table matches the reference`, () => {
        const pos = new TemporalEmbeddings('pos_embedding_lookup', g.dim, g.buckets);
        pos.loadWeights({
          'temporal_position_embeddings/embeddings': tf.tensor2d(g.table),
          'layernorm/gamma': tf.tensor1d(g.gamma),
          'layernorm/beta': tf.tensor1d(g.beta),
        });
        const y = pos.apply(tf.tensor3d(c.x));
        expect(maxAbsDiff(y.dataSync(), c.expected.flat(2))).toBeLessThanOrEqual(1e-5);
        y.dispose();
        pos.dispose();
      });
    }
  });

  describe('PatchProjection (voxel_to_patch)', () => {
    test('patchify + matMul with the reshaped official Conv3D kernel equals torch conv3d (stride = kernel)', () => {
      const proj = new PatchProjection(
        'voxel_to_patch',
        patch.patch.reduce((a: number, b: number) => a * b, 3),
        patch.bias.length,
      );
      const k5 = tf.tensor(patch.kernel);
      proj.loadWeights({ kernel: fromConv3dKernel(k5), bias: tf.tensor1d(patch.bias) });
      const y = proj.apply(tf.tensor3d(patchify(patch.video, patch.patch)));
      expect(maxAbsDiff(y.dataSync(), patch.expected.flat(2))).toBeLessThanOrEqual(1e-5);
      const back = toConv3dKernel(proj.kernel, patch.patch);
      expect(back.shape).toEqual(k5.shape);
      expect(maxAbsDiff(back.dataSync(), k5.dataSync())).toBe(0);
      expect(fromConvKernel(tf.zeros([128, 1, 7])).shape).toEqual([128, 7]);
      tf.dispose([k5, y, back]);
      proj.dispose();
    });

    test('wrong patch values are an error naming the patches and the expected shape', () => {
      const proj = new PatchProjection('voxel_to_patch', 3072, 8);
      expect(() => proj.apply(tf.zeros([1, 4, 768]))).toThrow(/voxel_to_patch: patches must have shape \[B,N,3072\].*got \[1,4,768\]/);
      proj.dispose();
    });
  });

  describe('DropToken', () => {
    test('keeps the same positions for every sample by default (one permutation per batch, official)', () => {
      setSeed(1);
      const x = tf.tidy(() => tf.tile(tf.reshape(tf.range(0, 10, 1, 'float32'), [1, 10, 1]), [3, 1, 2]) as tf.Tensor3D);
      const y = dropToken(x, { keepRate: 0.5 });
      expect(y.shape).toEqual([3, 5, 2]);
      const rows = (y.arraySync() as number[][][]).map((s) => s.map((t) => t[0]));
      expect(rows[1]).toEqual(rows[0]);
      expect(rows[2]).toEqual(rows[0]);
      expect(new Set(rows[0]).size).toBe(5); // distinct kept tokens
      tf.dispose([x, y]);
    });

    test('perSample draws an independent permutation per sample', () => {
      setSeed(2);
      const sel = dropTokenSelection(4, 100, { keepRate: 0.5, perSample: true });
      const perSample = Array.from({ length: 4 }, (_, b) => Array.from(sel.rows.slice(b * 50, b * 50 + 50), (r) => r - b * 100));
      expect(perSample[1]).not.toEqual(perSample[0]);
      for (const s of perSample) expect(new Set(s).size).toBe(50);
    });

    test('the keep count is int(keepRate * configured tokens), clamped to the sequence', () => {
      expect(dropTokenKeepCount({ keepRate: 0.5, configuredTokens: 1568 })).toBe(784);
      expect(dropTokenKeepCount({ dropRate: 0.75, configuredTokens: 1568 })).toBe(392);
      expect(dropTokenKeepCount({ keepRate: 0.5, configuredTokens: 1200 })).toBe(600);
      expect(dropTokenKeepCount({ dropRate: 0.7, configuredTokens: 10 })).toBe(3);
      const x = tf.zeros([2, 30, 4]) as tf.Tensor3D;
      const y = dropToken(x, { keepRate: 0.5, configuredTokens: 100 }); // 50 > 30: all kept
      expect(y.shape).toEqual([2, 30, 4]);
      tf.dispose([x, y]);
    });

    test('rates outside their range and an empty selection are errors', () => {
      expect(() => dropTokenKeepCount({ keepRate: 0, configuredTokens: 10 })).toThrow(/keepRate must be in \(0, 1\]/);
      expect(() => dropTokenKeepCount({ dropRate: 1, configuredTokens: 10 })).toThrow(/dropRate must be in \[0, 1\)/);
      expect(() => dropTokenKeepCount({ keepRate: 0.05, configuredTokens: 10 })).toThrow(/at least one token/);
      expect(() => dropTokenKeepCount({ keepRate: 0.5, dropRate: 0.5, configuredTokens: 10 })).toThrow(/not both/);
    });

    test('is differentiable: kept tokens get the upstream gradient, dropped ones zero, without leaks', async () => {
      setSeed(3);
      const x = tf.randomNormal([2, 8, 3]) as tf.Tensor3D;
      const step = () => tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(dropToken(v as tf.Tensor3D, { keepRate: 0.5 })))(x));
      const g = step();
      const perToken = (g.arraySync() as number[][][]).map((s) => s.map((t) => t.join(',')));
      for (const s of perToken) {
        expect(s.filter((t) => t === '1,1,1').length).toBe(4);
        expect(s.filter((t) => t === '0,0,0').length).toBe(4);
      }
      expect(perToken[1]).toEqual(perToken[0]);
      g.dispose();
      await expectNoLeak(() => step().dispose());
      x.dispose();
    });
  });

  test(`prependAggToken puts [AGG] at index 0 of every sample (${backend})`, () => {
    const y = prependAggToken(tf.ones([2, 3, 4]), tf.tensor1d([5, 6, 7, 8]));
    expect(y.shape).toEqual([2, 4, 4]);
    const a = y.arraySync() as number[][][];
    expect(a[1][0]).toEqual([5, 6, 7, 8]);
    expect(a[1][1]).toEqual([1, 1, 1, 1]);
    y.dispose();
  });
});

// A WebGPU subset: the spline and positional goldens (reads are async there).
forEachBackend(
  testBackends({ webgpu: true }).filter((b) => b === 'webgpu'),
  () => {
    test('resamplePositions 14 -> 20 matches the reference within 1e-5', async () => {
      const c = spline.cases[0];
      const out = resamplePositions(tf.tensor2d(c.table), c.to);
      expect(maxAbsDiff(await out.data(), c.expected.flat())).toBeLessThanOrEqual(1e-5);
      out.dispose();
    });

    test('SpatioTemporalEmbeddings on a resampled grid matches the reference within 1e-5', async () => {
      const g = positions.spatioTemporal;
      const c = g.cases[1];
      const pos = new SpatioTemporalEmbeddings('pos_embedding_lookup', g.dim, g.buckets);
      pos.loadWeights({
        'temporal_position_embeddings/embeddings': tf.tensor2d(g.temporal),
        'vertical_position_embeddings/embeddings': tf.tensor2d(g.vertical),
        'horizontal_position_embeddings/embeddings': tf.tensor2d(g.horizontal),
        'layernorm/gamma': tf.tensor1d(g.gamma),
        'layernorm/beta': tf.tensor1d(g.beta),
      });
      const y = pos.apply(tf.tensor3d(c.x), c.grid);
      expect(maxAbsDiff(await y.data(), c.expected.flat(2))).toBeLessThanOrEqual(1e-5);
      y.dispose();
      pos.dispose();
    });

    test('DropToken keeps int(keepRate * N) tokens and its gradient is a scatter of ones', async () => {
      const x = tf.randomNormal([2, 8, 3]) as tf.Tensor3D;
      const g = tf.grad((v: tf.Tensor) => tf.sum(dropToken(v as tf.Tensor3D, { keepRate: 0.5 })))(x);
      const v = await g.data();
      expect(Array.from(v).filter((e) => e === 1).length).toBe(2 * 4 * 3);
      expect(Array.from(v).filter((e) => e === 0).length).toBe(2 * 4 * 3);
      tf.dispose([x, g]);
    });
  },
);
