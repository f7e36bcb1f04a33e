/**
 * The nn primitives: numerics against scripts/golden/transformer_core.py (core_misc.json), shapes,
 * training/inference behaviour, gradients and errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBackend, maxAbsDiff, testBackends, type TestBackend } from '@vatt-testing/backends';
import { BatchNorm, Dense, Dropout, Embedding, LayerNorm, RMSNorm, dropout, gelu, matMul, random } from '../index.js';
import { readGolden, toTensor, type GoldenTensor } from './test-helpers.js';

interface GoldenMisc {
  gelu: { x: GoldenTensor; y: GoldenTensor; dydx: GoldenTensor };
  norms: { x: GoldenTensor; gamma: GoldenTensor; beta: GoldenTensor; layerNorm: GoldenTensor; rmsNorm: GoldenTensor };
  batchNorm: {
    momentum: number;
    eps: number;
    x: GoldenTensor;
    gamma: GoldenTensor;
    beta: GoldenTensor;
    movingMean: GoldenTensor;
    movingVariance: GoldenTensor;
    trainOutput: GoldenTensor;
    updatedMovingMean: GoldenTensor;
    updatedMovingVariance: GoldenTensor;
    evalOutput: GoldenTensor;
  };
}

const golden = readGolden<GoldenMisc>('core_misc.json');

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

function nnSuite(backend: TestBackend) {
  const full = backend !== 'webgpu';

  test('gelu is the exact erf form and its gradient matches torch on this backend', async () => {
    const x = toTensor(golden.gelu.x);
    expect(maxAbsDiff(await values(gelu(x)), golden.gelu.y.data)).toBeLessThanOrEqual(1e-6);
    const dydx = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    expect(maxAbsDiff(await values(dydx), golden.gelu.dydx.data)).toBeLessThanOrEqual(1e-5);
    x.dispose();
  });

  test('Embedding lookup is trainable: its gradient adds dy into the rows of the looked-up ids', async () => {
    const emb = new Embedding('emb', 5, 3);
    const ids = tf.tensor2d(
      [
        [1, 3, 1],
        [4, 1, 0],
      ],
      [2, 3],
      'int32',
    );
    const dy = tf.tensor3d(
      [...Array(18).keys()].map((i) => i + 1),
      [2, 3, 3],
    );
    const rows = emb.apply(ids);
    expect(rows.shape).toEqual([2, 3, 3]);
    const table = await emb.embeddings.data();
    expect(Array.from(await values(tf.slice(rows, [0, 1, 0], [1, 1, 3])))).toEqual(Array.from(table.slice(9, 12)));
    rows.dispose();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(emb.apply(ids), dy)) as tf.Scalar);
    // Row r of the gradient = sum of dy over positions whose id is r.
    const expected = [
      [16, 17, 18], // id 0: position (1,2)
      [1 + 7 + 13, 2 + 8 + 14, 3 + 9 + 15], // id 1: positions (0,0), (0,2), (1,1)
      [0, 0, 0], // id 2: unused
      [4, 5, 6], // id 3: position (0,1)
      [10, 11, 12], // id 4: position (1,0)
    ];
    expect(Array.from(await values(grads[emb.embeddings.name]))).toEqual(expected.flat());
    tf.dispose([value, ids, dy]);
    emb.dispose();
  });

  if (!full) return;

  test('LayerNorm (eps 1e-6) and RMSNorm match torch on random input', async () => {
    const x = toTensor(golden.norms.x);
    const ln = new LayerNorm('ln', 8);
    const rms = new RMSNorm('rms', 8);
    ln.loadWeights({ gamma: toTensor(golden.norms.gamma), beta: toTensor(golden.norms.beta) });
    rms.loadWeights({ weight: toTensor(golden.norms.gamma) });
    expect(maxAbsDiff(await values(ln.apply(x)), golden.norms.layerNorm.data)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(await values(rms.apply(x)), golden.norms.rmsNorm.data)).toBeLessThanOrEqual(1e-5);
    expect(ln.eps).toBe(1e-6);
    expect(rms.eps).toBe(1e-6);
    x.dispose();
    ln.dispose();
    rms.dispose();
  });

  test('BatchNorm normalises with batch statistics in training, updates moving stats Keras-style, and uses them in eval', async () => {
    const g = golden.batchNorm;
    const bn = new BatchNorm('bn', 4);
    expect(bn.momentum).toBe(0.9);
    expect(bn.eps).toBe(1e-5);
    bn.loadWeights({ gamma: toTensor(g.gamma), beta: toTensor(g.beta), moving_mean: toTensor(g.movingMean), moving_variance: toTensor(g.movingVariance) });
    expect(bn.namedTrainableParameters().map(([n]) => n)).toEqual(['gamma', 'beta']);
    const x = toTensor(g.x);
    // Inference before training uses the loaded moving statistics and does not change them.
    const before = await values(bn.apply(x));
    expect(maxAbsDiff(await bn.movingMean.data(), g.movingMean.data)).toBeLessThanOrEqual(1e-7);
    expect(maxAbsDiff(before, g.trainOutput.data)).toBeGreaterThan(1e-2);
    // One training step inside a gradient computation: one update, gradients for gamma and beta.
    bn.train();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bn.apply(x))) as tf.Scalar, bn.trainableVariables());
    expect(Object.keys(grads).sort()).toEqual([bn.gamma.name, bn.beta.name].sort());
    tf.dispose([value, ...Object.values(grads)]);
    expect(maxAbsDiff(await bn.movingMean.data(), g.updatedMovingMean.data)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(await bn.movingVariance.data(), g.updatedMovingVariance.data)).toBeLessThanOrEqual(1e-5);
    // Restore the pre-step statistics: a plain training call gives the batch-statistics output.
    bn.loadWeights({ moving_mean: toTensor(g.movingMean), moving_variance: toTensor(g.movingVariance) }, { strict: false });
    expect(maxAbsDiff(await values(bn.apply(x)), g.trainOutput.data)).toBeLessThanOrEqual(1e-5);
    bn.eval();
    expect(maxAbsDiff(await values(bn.apply(x)), g.evalOutput.data)).toBeLessThanOrEqual(1e-5);
    x.dispose();
    bn.dispose();
  });

  test('Dense maps [..., in] to [..., out] with kernel [in, out], bias and activation', async () => {
    const dense = new Dense('d', 3, 2, { activation: 'relu' });
    dense.loadWeights({
      kernel: tf.tensor2d([
        [1, -1],
        [2, 0],
        [0, 1],
      ]),
      bias: tf.tensor1d([0.5, -10]),
    });
    const x = tf.tensor3d([1, 1, 1, 0, 0, 2], [1, 2, 3]);
    const y = dense.apply(x);
    expect(y.shape).toEqual([1, 2, 2]);
    expect(Array.from(await values(y))).toEqual([3.5, 0, 0.5, 0]);
    expect(new Dense('nobias', 3, 2, { useBias: false }).namedParameters().map(([n]) => n)).toEqual(['kernel']);
    expect(dense.kernel.shape).toEqual([3, 2]);
    x.dispose();
  });

  test('Embedding gradient stays exact when the one-hot scatter is split into chunks (large vocabulary)', async () => {
    const vocab = 1 << 20; // 4 ids per one-hot chunk, so 10 ids take 3 chunks
    const emb = new Embedding('big', vocab, 1, { init: (s) => tf.zeros(s) });
    const ids = tf.tensor1d([5, vocab - 1, 5, 7, 0, 5, 7, 9, 10, 11], 'int32');
    const dy = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 1]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(emb.apply(ids), dy)) as tf.Scalar);
    const g = await grads[emb.embeddings.name].data();
    expect([g[5], g[vocab - 1], g[7], g[0], g[9], g[10], g[11], g[1]]).toEqual([1 + 3 + 6, 2, 4 + 7, 5, 8, 9, 10, 0]);
    tf.dispose([value, ids, dy, ...Object.values(grads)]);
    emb.dispose();
  });

  test('matMul gives the same values and gradients as tf.matMul, plain and batched', async () => {
    for (const [sa, sb] of [
      [
        [3, 4],
        [4, 5],
      ],
      [
        [2, 3, 4],
        [2, 4, 5],
      ],
    ]) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
      const w = tf.randomNormal([...sa.slice(0, -1), 5], 0, 1, 'float32', 3);
      const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul(x, y), w)))([a, b]);
      const theirs = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)))([a, b]);
      for (let i = 0; i < 2; i++) expect(maxAbsDiff(await values(ours[i]), await values(theirs[i]))).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(await values(matMul(a, b)), await values(tf.matMul(a, b)))).toBeLessThanOrEqual(1e-5);
      tf.dispose([a, b, w]);
    }
    expect(() => matMul(tf.zeros([2, 3]), tf.zeros([1, 3, 2]))).toThrow(/matMul: operands must both be rank 2/);
  });

  test('batched matMul matches a float64 product on attention-sized shapes, with gradients, and leaks nothing', async () => {
    // On wasm this is the XNNPACK-per-batch-entry kernel; odd sizes check the offsets of every entry.
    const [s, m, k, n] = [5, 37, 19, 23];
    const a = tf.randomNormal([s, m, k], 0, 1, 'float32', 4);
    const b = tf.randomNormal([s, k, n], 0, 1, 'float32', 5);
    const [av, bv] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
    const expected = new Float64Array(s * m * n);
    for (let i = 0; i < s; i++)
      for (let r = 0; r < m; r++)
        for (let c = 0; c < n; c++) {
          let acc = 0;
          for (let j = 0; j < k; j++) acc += av[i * m * k + r * k + j] * bv[i * k * n + j * n + c];
          expected[i * m * n + r * n + c] = acc;
        }
    const y = matMul(a, b);
    expect(y.shape).toEqual([s, m, n]);
    expect(maxAbsDiff(await y.data(), expected)).toBeLessThanOrEqual(2e-5);
    // d(sum(y))/da = ones · bᵀ: row sums of b, the same for every row of a.
    const [da] = tf.grads((x: tf.Tensor) => tf.sum(matMul(x, b)))([a]);
    const daValues = await da.data();
    for (let i = 0; i < s; i++)
      for (let j = 0; j < k; j++) {
        let rowSum = 0;
        for (let c = 0; c < n; c++) rowSum += bv[i * k * n + j * n + c];
        expect(Math.abs(daValues[i * m * k + 5 * k + j] - rowSum)).toBeLessThanOrEqual(1e-4);
      }
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(matMul(x, w)))([a, b]));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => matMul(a, tf.zeros([s + 1, k, n]))).toThrow(/match/);
    tf.dispose([a, b, y, da]);
  });

  test('a frozen Embedding has no trainable weights', () => {
    const emb = new Embedding('word2vec', 10, 4, { trainable: false });
    expect(emb.trainableVariables()).toHaveLength(0);
    expect(emb.countParams()).toBe(40);
    emb.dispose();
  });

  test('dropout is the identity in inference and inverted, seeded dropout in training', async () => {
    const x = tf.ones([1000]);
    expect(dropout(x, 0.3, false)).toBe(x);
    random.setSeed(7);
    const a = await values(dropout(x, 0.3, true));
    random.setSeed(7);
    const b = await values(dropout(x, 0.3, true));
    expect(Array.from(a)).toEqual(Array.from(b));
    const kept = a.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    expect(kept.length / 1000).toBeGreaterThan(0.6);
    expect(kept.length / 1000).toBeLessThan(0.8);
    const drop = new Dropout(0.5);
    expect(drop.apply(x)).toBe(x);
    drop.train();
    expect((await values(drop.apply(x))).some((v) => v === 0)).toBe(true);
    x.dispose();
  });

  test('bad inputs name the module path and the expected shape', () => {
    const dense = new Dense('q', 4, 2);
    expect(() => dense.apply(tf.zeros([2, 3]))).toThrow(/q: input must have shape \[\.\.\.,4\] \(last dimension 4\), got \[2,3\]/);
    expect(() => new LayerNorm('ln', 4).apply(tf.zeros([2, 5]))).toThrow(/ln: input .*\[\.\.\.,4\].*got \[2,5\]/);
    expect(() => new BatchNorm('bn', 4).apply(tf.zeros([4]))).toThrow(/bn: input must have shape \[N,\.\.\.,4\]/);
    expect(() => new Embedding('emb', 4, 2).apply(tf.zeros([3]))).toThrow(/emb: ids must be an int32 tensor/);
    expect(() => new Dropout(1)).toThrow(/rate must be in \[0, 1\)/);
    expect(() => new Dense('d', 0, 2)).toThrow(/d: inDim must be a positive integer/);
  });
}

forEachBackend(testBackends({ webgpu: true }), nnSuite);
