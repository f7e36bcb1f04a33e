/**
 * ReplicaPool: data parallelism over worker_threads (one wasm backend each). Checked against the
 * same computation on the main thread: forward outputs, loss gradients, vector-Jacobian products,
 * and VATT pretraining gradients (the gradient cache with shards on workers); plus errors and leaks.
 */
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { random, TransformerEncoder } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { randomClips, TEST_VOCAB, withoutRandomness } from '../../test/random-clips.js';
import { getPreset, type VattConfig } from '../config/index.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT } from '../model/vatt.js';
import { makePretrainBatch } from '../train/pretrain.js';
import { pretrainGradients } from '../train/pretrain-gradients.js';
import { movingStatistics, Trainer } from '../train/trainer.js';
import { ReplicaPool, shardBatch } from './pool.js';
import { VATT_PRETRAIN_REPLICA } from './vatt-replica.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/tiny-encoder-replica.mjs', import.meta.url));
const ENCODER = { numLayers: 2, dModel: 32, numHeads: 4, dFF: 64, dropout: 0, attnDropout: 0 };

beforeAll(() => useBackend('wasm'));

/** Largest |a - b| over the largest |a| (at least 1e-3). */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length).toBe(y.length);
  let worst = 0;
  let scale = 1e-3;
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(x[i]));
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst / scale;
}

test('shardBatch splits a batch into contiguous, even shards', () => {
  expect(shardBatch(8, 2)).toEqual([
    { start: 0, size: 4, batchSize: 8 },
    { start: 4, size: 4, batchSize: 8 },
  ]);
  expect(shardBatch(5, 3).map((s) => s.size)).toEqual([2, 2, 1]);
  expect(shardBatch(1, 4)).toEqual([{ start: 0, size: 1, batchSize: 1 }]);
});

describe('ReplicaPool with an encoder replica', () => {
  let pool: ReplicaPool;
  let enc: TransformerEncoder;
  let x: tf.Tensor;

  beforeAll(async () => {
    random.setSeed(11);
    enc = new TransformerEncoder('tx', ENCODER);
    x = tf.randomNormal([5, 7, 32], 0, 1, 'float32', 12);
    pool = await ReplicaPool.create({ workers: 2, backend: 'wasm', replica: { module: FIXTURE }, weights: enc });
  }, 60000);

  afterAll(async () => {
    await pool?.close();
    tf.dispose(x);
    enc?.dispose();
  });

  test('builds one replica per worker with the same parameters', () => {
    expect(pool.size).toBe(2);
    expect(pool.backend).toBe('wasm');
    expect(pool.parameters.map((p) => p.name)).toEqual(enc.namedParameters().map(([n]) => n));
  });

  test('forward over 2 workers equals the forward pass here, and leaks nothing', async () => {
    enc.eval();
    const here = enc.apply(x);
    const before = tf.memory().numTensors;
    const { y } = await pool.forward({ x });
    expect(y.shape).toEqual([5, 7, 32]);
    expect(await relErr(here, y)).toBeLessThan(1e-5);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    here.dispose();
  });

  test('lossGradients (whole shards and micro-batches of 1) equal the full-batch gradients', async () => {
    enc.train();
    const full = tf.variableGrads(() => tf.mean(tf.square(enc.apply(x))) as tf.Scalar, enc.trainableVariables());
    const expectedLoss = (await full.value.data())[0];
    for (const microBatch of [undefined, 1]) {
      const before = tf.memory().numTensors;
      const got = await pool.lossGradients({ x }, { microBatch });
      expect(Math.abs((got.loss as number) - expectedLoss)).toBeLessThan(1e-5);
      const named = enc.namedTrainableParameters();
      expect(Object.keys(got.grads).sort()).toEqual(named.map(([n]) => n).sort());
      for (const [path, v] of named) expect(await relErr(full.grads[v.name], got.grads[path])).toBeLessThan(1e-4);
      tf.dispose([...Object.values(got.grads), ...Object.values(got.state)]);
      expect(tf.memory().numTensors).toBe(before);
      expect(got.workerTensors[0]).toBe(got.workerTensors[1]); // same replica, same tensors alive
    }
    const again = await pool.lossGradients({ x });
    tf.dispose([...Object.values(again.grads), ...Object.values(again.state)]);
    const third = await pool.lossGradients({ x }, { microBatch: 1 });
    expect(third.workerTensors).toEqual(again.workerTensors); // nothing left behind in the workers
    tf.dispose([full.value, ...Object.values(full.grads), ...Object.values(third.grads), ...Object.values(third.state)]);
  });

  test('vjp gives the gradient of <forward(x), upstream>', async () => {
    enc.train();
    const up = tf.randomNormal([5, 7, 32], 0, 1, 'float32', 13);
    const full = tf.variableGrads(() => tf.sum(tf.mul(enc.apply(x), up)) as tf.Scalar, enc.trainableVariables());
    const got = await pool.vjp({ x }, { y: up }, { microBatch: 2 });
    for (const [path, v] of enc.namedTrainableParameters()) expect(await relErr(full.grads[v.name], got.grads[path])).toBeLessThan(1e-4);
    tf.dispose([up, full.value, ...Object.values(full.grads), ...Object.values(got.grads), ...Object.values(got.state)]);
  });

  test('setWeights makes the replicas follow the model here', async () => {
    enc.eval();
    const w = enc.namedParameters()[0][1];
    const old = tf.clone(w);
    w.assign(tf.add(w, 0.5));
    await pool.setWeights(enc);
    const here = enc.apply(x);
    const { y } = await pool.forward({ x });
    expect(await relErr(here, y)).toBeLessThan(1e-5);
    w.assign(old);
    await pool.setWeights(enc);
    tf.dispose([old, here, y]);
  });

  test('bad inputs and failures in a worker give clear errors', async () => {
    await expect(pool.forward({ x, other: tf.zeros([3, 2]) }, { batchSize: 5 })).rejects.toThrow(
      /input "other" has 3 rows, not a whole number per sample for a batch of 5/,
    );
    await expect(pool.forward({})).rejects.toThrow(/no inputs/);
    await expect(pool.vjp({ x }, { y: tf.zeros([4, 7, 32]) })).rejects.toThrow(/upstream "y" has 4 rows/);
    await expect(pool.forward({ x: tf.zeros([2, 7, 33]) })).rejects.toThrow(/ReplicaPool worker failed: .*32/s);
    // The pool still works after a failed call.
    const { y } = await pool.forward({ x });
    expect(y.shape).toEqual([5, 7, 32]);
    y.dispose();
  });
});

describe('ReplicaPool set-up errors', () => {
  test('a module without the factory, a failing replica, a closed pool', async () => {
    await expect(ReplicaPool.create({ workers: 1, replica: { module: FIXTURE, export: 'notAFactory' } })).rejects.toThrow(/exports no function "notAFactory"/);
    await expect(ReplicaPool.create({ workers: 0, replica: { module: FIXTURE } })).rejects.toThrow(/workers must be an integer >= 1/);
    const pool = await ReplicaPool.create({ workers: 1, replica: { module: FIXTURE, args: { failOnForward: true } } });
    await expect(pool.forward({ x: tf.zeros([1, 7, 32]) })).rejects.toThrow(/replica forward failed on purpose/);
    await pool.close();
    await expect(pool.forward({ x: tf.zeros([1, 7, 32]) })).rejects.toThrow(/closed/);
  }, 60000);
});

describe('VATT pretraining on a ReplicaPool', () => {
  const { model: cfg, preprocessing } = getPreset('tiny');
  const deterministic = withoutRandomness(cfg);

  test('2 workers give the gradients of the gradient cache on one thread, dropout and DropToken draws included', async () => {
    random.setSeed(4);
    const model = new VATT(cfg).train();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 8, 3), [0, 1, 2, 3, 4, 5, 6, 7]);
    const pool = await ReplicaPool.create({ workers: 2, replica: { module: VATT_PRETRAIN_REPLICA, args: { config: cfg } }, weights: model });
    try {
      // The same chunks (2 clips each: 0-2, 2-4 on one worker, 4-6, 6-8 on the other) from the same step state.
      random.setSeed(21);
      const reference = await pretrainGradients(model, batch, { microBatch: 2 });
      await pool.setWeights(model); // the reference pass moved BatchNorm statistics
      const before = tf.memory().numTensors;
      random.setSeed(21);
      const got = await pretrainGradients(model, batch, { microBatch: 2, pool });
      expect(Math.abs((await got.value.data())[0] - (await reference.value.data())[0])).toBeLessThan(1e-5);
      const named = model.namedTrainableParameters();
      expect(Object.keys(got.grads).sort()).toEqual(named.map(([n]) => n).sort());
      let worst = 0;
      for (const [name] of named) worst = Math.max(worst, await relErr(reference.grads[name], got.grads[name]));
      expect(worst).toBeLessThan(1e-3);
      tf.dispose([got.value, ...Object.values(got.grads), ...Object.values(got.metrics ?? {})]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([reference.value, ...Object.values(reference.grads), ...Object.values(reference.metrics ?? {})]);
    } finally {
      await pool.close();
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
      model.dispose();
    }
  }, 120000);

  const trainRun = async (config: VattConfig, steps: number) => {
    random.setSeed(5);
    const model = new VATT(config).train();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 8, 4), [0, 1, 2, 3, 4, 5, 6, 7]);
    const pool = await ReplicaPool.create({ workers: 2, replica: { module: VATT_PRETRAIN_REPLICA, args: { config } }, weights: model });
    const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 100 } });
    const losses: number[] = [];
    try {
      for (let i = 0; i < steps; i++) {
        losses.push((await trainer.stepWith(() => pretrainGradients(model, batch, { microBatch: 2, pool }))).loss);
        await pool.setWeights(model);
      }
    } finally {
      await pool.close();
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
      trainer.dispose();
      model.dispose();
    }
    return losses;
  };

  test('3 workers send back and average only the BatchNorm statistics: a frozen word table stays bit-identical', async () => {
    random.setSeed(10);
    const config = { ...deterministic, text: { ...deterministic.text, trainableEmbeddings: false } };
    const model = new VATT(config).train();
    const stats = movingStatistics(model).map(([n]) => n);
    const [[path, table], ...others] = model.namedParameters().filter(([n, v]) => !v.trainable && !stats.includes(n));
    expect(others).toEqual([]);
    expect(path).toMatch(/embedding\/embeddings$/);
    const initial = Array.from(await table.data());
    const assign = jest.spyOn(table, 'assign');
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 6, 7), [0, 1, 2, 3, 4, 5]);
    const pool = await ReplicaPool.create({ workers: 3, replica: { module: VATT_PRETRAIN_REPLICA, args: { config } }, weights: model });
    const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 100 } });
    try {
      const inputs = { videoPatches: batch.videoPatches, audioPatches: batch.audioPatches, textIds: batch.textIds };
      const call = { batchSize: 6, context: { videoGrid: batch.videoGrid }, microBatch: 2, randomState: 5 };
      const outputs = await pool.forward(inputs, { ...call, training: true });
      const upstream = tf.tidy(() => Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, tf.onesLike(t)])));
      const got = await pool.vjp(inputs, upstream, call);
      expect(Object.keys(got.state).sort()).toEqual([...stats].sort());
      tf.dispose([...Object.values(outputs), ...Object.values(upstream), ...Object.values(got.grads), ...Object.values(got.state)]);
      for (let i = 0; i < 2; i++) {
        expect((await trainer.stepWith(() => pretrainGradients(model, batch, { microBatch: 2, pool }))).skipped).toBe(false);
        await pool.setWeights(model);
      }
      expect(assign).not.toHaveBeenCalled();
      expect(Array.from(await table.data())).toEqual(initial);
    } finally {
      assign.mockRestore();
      await pool.close();
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
      trainer.dispose();
      model.dispose();
    }
  }, 120000);

  test('trains through Trainer.stepWith and lowers the loss', async () => {
    const losses = await trainRun(deterministic, 25);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));
  }, 180000);

  test('with dropout and DropToken on, a replay (vjp) draws the masks its forward drew, and runs repeat exactly', async () => {
    random.setSeed(6);
    const model = new VATT(cfg).train();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 4, 4), [0, 1, 2, 3]);
    const pool = await ReplicaPool.create({ workers: 2, replica: { module: VATT_PRETRAIN_REPLICA, args: { config: cfg } }, weights: model });
    try {
      const inputs = { videoPatches: batch.videoPatches, audioPatches: batch.audioPatches, textIds: batch.textIds };
      const call = { batchSize: 4, context: { videoGrid: batch.videoGrid }, training: true, microBatch: 2 };
      const a = await pool.forward(inputs, { ...call, randomState: 77 });
      const b = await pool.forward(inputs, { ...call, randomState: 77 });
      const c = await pool.forward(inputs, { ...call, randomState: 78 });
      expect(await relErr(a.videoVa, b.videoVa)).toBe(0);
      expect(await relErr(a.textVt, b.textVt)).toBe(0);
      expect(await relErr(a.videoVa, c.videoVa)).toBeGreaterThan(1e-3); // other masks
      tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(c)]);
      // Inference (BatchNorm on its moving statistics) matches the model here, which the pool copied.
      model.eval();
      const here = model.embedVideo(batch.videoPatches, batch.videoGrid);
      const inference = await pool.forward(inputs, { batchSize: 4, context: { videoGrid: batch.videoGrid } });
      expect(await relErr(here.va, inference.videoVa)).toBeLessThan(1e-5);
      tf.dispose([here.va, here.vt, here.features, ...Object.values(inference)]);
    } finally {
      await pool.close();
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
      model.dispose();
    }
    const first = await trainRun(cfg, 3);
    expect(await trainRun(cfg, 3)).toEqual(first);
  }, 180000);
});
