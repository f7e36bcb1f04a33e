/**
 * Encoder behaviour users rely on: every weight learns, no tensor leaks across training steps,
 * dropout only in training, official checkpoint names, clear errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, forEachBackend, maxAbsDiff, testBackends } from '@vatt-testing/backends';
import { BatchNorm, Dense, Embedding, LayerNorm, MultiHeadAttention, RMSNorm, T5Encoder, TransformerEncoder, random } from '../index.js';
import type { Module } from '../module.js';
import { weightsWithoutGradient } from '../nn/test-helpers.js';

const small = { numLayers: 2, dModel: 16, numHeads: 2, dKv: 8, dFF: 32 };
const MASK = [
  [1, 1, 1, 0, 0],
  [1, 1, 1, 1, 1],
];

/** A loss that depends on every output element with a different weight (so no gradient cancels). */
function weightedSum(y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(1, y.size + 1), y.shape)))) as tf.Scalar);
}

forEachBackend(testBackends(), () => {
  let x: tf.Tensor;
  let mask: tf.Tensor;
  beforeAll(() => {
    random.setSeed(3);
    x = tf.randomNormal([2, 5, 16], 0, 1, 'float32', random.nextSeed());
    mask = tf.tensor2d(MASK);
  });
  afterAll(() => tf.dispose([x, mask]));

  test('every trainable weight of a pre-LN TransformerEncoder gets a non-zero gradient (training mode, masked)', () => {
    const tx = new TransformerEncoder('tx', small).train();
    expect(weightsWithoutGradient(tx, () => weightedSum(tx.apply(x, { mask })))).toEqual([]);
    expect(tx.namedTrainableParameters()).toHaveLength(2 * 16 + 2);
    tx.dispose();
  });

  test('every trainable weight of a T5Encoder, relative position bias included, gets a non-zero gradient', () => {
    const t5 = new T5Encoder('base_lm', small).train();
    expect(weightsWithoutGradient(t5, () => weightedSum(t5.apply(x, { mask })))).toEqual([]);
    t5.dispose();
  });

  test('Dense, LayerNorm, RMSNorm, BatchNorm (training) and Embedding pass gradients to all their weights', () => {
    const modules: Array<[Module, () => tf.Scalar]> = [];
    const dense = new Dense('dense', 16, 4, { activation: 'gelu' });
    modules.push([dense, () => weightedSum(dense.apply(x))]);
    const ln = new LayerNorm('ln', 16);
    modules.push([ln, () => weightedSum(ln.apply(x))]);
    const rms = new RMSNorm('rms', 16);
    modules.push([rms, () => weightedSum(rms.apply(x))]);
    const bn = new BatchNorm('bn', 16).train();
    modules.push([bn, () => weightedSum(bn.apply(x))]);
    const emb = new Embedding('emb', 6, 3);
    const ids = tf.tensor2d(
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      [2, 3],
      'int32',
    );
    modules.push([emb, () => weightedSum(emb.apply(ids))]);
    for (const [m, loss] of modules) {
      expect({ module: m.name, missing: weightsWithoutGradient(m, loss) }).toEqual({ module: m.name, missing: [] });
      m.dispose();
    }
    ids.dispose();
  });

  test('repeated forward + backward passes of both encoders keep tf.memory().numTensors flat', async () => {
    const tx = new TransformerEncoder('tx', small).train();
    const t5 = new T5Encoder('base_lm', small).train();
    await expectNoLeak(() => {
      for (const [m, f] of [
        [tx, () => tx.apply(x, { mask })],
        [t5, () => t5.apply(x, { mask })],
      ] as const) {
        const { value, grads } = tf.variableGrads(() => weightedSum(f()), m.trainableVariables());
        tf.dispose([value, ...Object.values(grads)]);
      }
    });
    await expectNoLeak(() => tf.dispose([tx.eval().apply(x, { mask }), t5.eval().apply(x)]));
    tx.dispose();
    t5.dispose();
    // BatchNorm's moving-statistics update inside the gradient computation leaks nothing either.
    const bn = new BatchNorm('bn', 16).train();
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => weightedSum(bn.apply(x)), bn.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    });
    bn.dispose();
  });

  test('attention-probability dropout and residual dropout act only in training mode, reproducibly per seed', async () => {
    const mha = new MultiHeadAttention('mha', { dModel: 16, numHeads: 2, dKv: 8, attnDropout: 0.5 });
    const evalA = await mha.apply(x).data();
    const evalB = await mha.apply(x).data();
    expect(maxAbsDiff(evalA, evalB)).toBe(0);
    mha.train();
    random.setSeed(11);
    const trainA = await mha.apply(x).data();
    random.setSeed(11);
    const trainB = await mha.apply(x).data();
    expect(maxAbsDiff(trainA, trainB)).toBe(0);
    expect(maxAbsDiff(trainA, evalA)).toBeGreaterThan(1e-3);
    mha.dispose();

    const tx = new TransformerEncoder('tx', { ...small, attnDropout: 0 });
    const y0 = await tx.apply(x).data();
    tx.train();
    const y1 = await tx.apply(x).data();
    expect(maxAbsDiff(y0, y1)).toBeGreaterThan(1e-3);
    tx.eval();
    expect(maxAbsDiff(y0, await tx.apply(x).data())).toBe(0);
    tx.dispose();
  });

  test('padded keys do not influence the valid positions', async () => {
    const tx = new TransformerEncoder('tx', small);
    // Sample 0 has padding at positions 3 and 4: overwrite them and compare positions 0..2.
    const other = tf.tidy(() => tf.concat([tf.concat([tf.slice(x, [0, 0, 0], [1, 3, 16]), tf.fill([1, 2, 16], 7)], 1), tf.slice(x, [1, 0, 0], [1, 5, 16])], 0));
    const [a, b] = tf.tidy(() => [x, other].map((input) => tf.slice(tx.apply(input, { mask }), [0, 0, 0], [1, 3, 16])));
    expect(maxAbsDiff(await a.data(), await b.data())).toBeLessThanOrEqual(1e-5);
    tf.dispose([a, other, b]);
    tx.dispose();
  });
});

describe('encoder weight names and errors', () => {
  test('weights carry the official checkpoint names (docs/numerics.md §10.2)', () => {
    const tx = new TransformerEncoder('tx', { ...small, numLayers: 1 });
    expect(tx.namedParameters().map(([n]) => n)).toEqual([
      'layers/0/layer_norm/gamma',
      'layers/0/layer_norm/beta',
      ...['q', 'k', 'v', 'o'].flatMap((p) => [`layers/0/mha/${p}/kernel`, `layers/0/mha/${p}/bias`]),
      'layers/0/feed_forward/layer_norm/gamma',
      'layers/0/feed_forward/layer_norm/beta',
      'layers/0/feed_forward/mlp/wi/kernel',
      'layers/0/feed_forward/mlp/wi/bias',
      'layers/0/feed_forward/mlp/wo/kernel',
      'layers/0/feed_forward/mlp/wo/bias',
      'final_layer_norm/gamma',
      'final_layer_norm/beta',
    ]);
    expect(tx.namedWeights()['layers/0/mha/q/kernel'].shape).toEqual([16, 16]);
    expect(tx.namedWeights()['layers/0/feed_forward/mlp/wi/kernel'].shape).toEqual([16, 32]);
    tx.dispose();
    const t5 = new T5Encoder('base_lm', small);
    const names = t5.namedParameters().map(([n]) => n);
    expect(names).toContain('layers/0/self_attention/attention/relative_attention_bias/embeddings');
    expect(names.filter((n) => n.includes('relative_attention_bias'))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith('/bias'))).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining(['layers/1/self_attention/layer_norm/weight', 'layers/1/feed_forward/layer_norm/gamma', 'final_layer_norm/weight']),
    );
    expect(t5.namedWeights()['layers/0/self_attention/attention/relative_attention_bias/embeddings'].shape).toEqual([32, 2]);
    t5.dispose();
    const defaults = [new TransformerEncoder(undefined, small), new T5Encoder(undefined, small), new MultiHeadAttention(undefined, small)];
    expect(defaults.map((m) => m.name)).toEqual(['tx', 'base_lm', 'mha']);
    defaults.forEach((m) => m.dispose());
  });

  test('a wrong input rank, width or mask names the module path and the expected shape', () => {
    const tx = new TransformerEncoder('tx', small);
    expect(() => tx.apply(tf.zeros([5, 16]))).toThrow('tx: input must have shape [B,N,16], got [5,16] (rank 2)');
    expect(() => tx.apply(tf.zeros([2, 5, 8]))).toThrow('tx: input must have shape [B,N,16] (last dimension 16), got [2,5,8]');
    expect(() => tx.layers[1].attention.apply(tf.zeros([2, 5, 8]))).toThrow(/^tx\/layers\/1\/mha: input must have shape \[B,N,16\]/);
    expect(() => tx.apply(tf.zeros([2, 5, 16]), { mask: tf.ones([2, 4]) })).toThrow('tx: mask must have shape [2,5] (1 = valid, 0 = padding), got [2,4]');
    const t5 = new T5Encoder('base_lm', small);
    expect(() => t5.apply(tf.zeros([2, 5, 8]))).toThrow(/^base_lm: input must have shape \[B,N,16\]/);
    expect(() => t5.apply(tf.zeros([2, 5, 16]), { mask: tf.ones([5]) })).toThrow(/^base_lm: mask must have shape \[2,5\]/);
    expect(() => tx.layers[0].attention.positionBias(4)).toThrow(/tx\/layers\/0\/mha: positionBias\(\) needs/);
    tx.dispose();
    t5.dispose();
  });
});
