import { jest } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { randomClips, TEST_VOCAB, withoutRandomness } from '../../test/random-clips.js';
import { getPreset } from '../config/index.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT } from '../model/vatt.js';
import { sampleChunks } from './grad-cache.js';
import { makePretrainBatch } from './pretrain.js';
import { pretrainGradients } from './pretrain-gradients.js';
import { movingStatistics, Trainer } from './trainer.js';

const { model: cfg, preprocessing } = getPreset('tiny');
const deterministic = withoutRandomness(cfg);

beforeAll(() => useBackend('wasm'));

async function worstRelative(a: tf.NamedTensorMap, b: tf.NamedTensorMap): Promise<number> {
  let worst = 0;
  for (const [name, t] of Object.entries(a)) {
    const x = await t.data();
    const y = await b[name].data();
    const scale = Math.max(1e-3, ...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

test('sampleChunks cuts a batch (or a shard) into chunks; a last chunk of one joins the one before', () => {
  expect(sampleChunks(6, 2).map((c) => [c.start, c.size])).toEqual([
    [0, 2],
    [2, 2],
    [4, 2],
  ]);
  expect(sampleChunks(5, 2).map((c) => c.size)).toEqual([2, 3]);
  expect(sampleChunks(4).map((c) => c.size)).toEqual([4]);
  expect(sampleChunks(8, 3, { start: 4, size: 4 })).toEqual([{ start: 4, size: 4, batchSize: 8 }]);
  expect(() => sampleChunks(4, 1.5)).toThrow(/chunk size must be an integer >= 1/);
});

describe('the gradient cache (micro-batched pretraining gradients)', () => {
  test('equals the full-batch gradients by parameter path, with every clip of the batch as a negative', async () => {
    random.setSeed(4);
    const model = new VATT(deterministic).train();
    // BatchNorm on moving statistics: with batch statistics each chunk would normalise differently.
    model.head.eval();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 6, 3), [0, 1, 2, 3, 4, 5]);
    const whole = await pretrainGradients(model, batch);
    const before = tf.memory().numTensors;
    const chunked = await pretrainGradients(model, batch, { microBatch: 2 });
    expect(Math.abs((await chunked.value.data())[0] - (await whole.value.data())[0])).toBeLessThan(1e-5);
    expect(Object.keys(chunked.grads).sort()).toEqual(
      model
        .namedTrainableParameters()
        .map(([n]) => n)
        .sort(),
    );
    expect(await worstRelative(whole.grads, chunked.grads)).toBeLessThan(1e-3);
    tf.dispose([chunked.value, ...Object.values(chunked.grads), ...Object.values(chunked.metrics ?? {})]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([whole.value, ...Object.values(whole.grads), ...Object.values(whole.metrics ?? {}), batch.videoPatches, batch.audioPatches, batch.textIds]);
    model.dispose();
  });

  test('in one chunk is plain backprop: the same loss and gradients as tf.variableGrads of pretrainLoss', async () => {
    random.setSeed(7);
    const model = new VATT(cfg).train(); // dropout and DropToken on
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 4, 5), [0, 1, 2, 3]);
    random.setSeed(11);
    const plain = tf.variableGrads(() => model.pretrainLoss(batch).total, model.trainableVariables());
    random.setSeed(11);
    const engine = await pretrainGradients(model, batch);
    expect((await engine.value.data())[0]).toBe((await plain.value.data())[0]);
    for (const [name, v] of model.namedTrainableParameters())
      expect(Array.from(await engine.grads[name].data())).toEqual(Array.from(await plain.grads[v.name].data()));
    tf.dispose([plain.value, ...Object.values(plain.grads), engine.value, ...Object.values(engine.grads), ...Object.values(engine.metrics ?? {})]);
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    model.dispose();
  });

  test('replays the dropout and DropToken draws of each chunk: the same state gives the same gradients', async () => {
    random.setSeed(8);
    const model = new VATT(cfg).train();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 6, 2), [0, 1, 2, 3, 4, 5]);
    const run = async (seed: number) => {
      random.setSeed(seed);
      return pretrainGradients(model, batch, { microBatch: 2 });
    };
    const [a, b, c] = [await run(3), await run(3), await run(4)];
    expect(await worstRelative(a.grads, b.grads)).toBe(0);
    expect(await worstRelative(a.grads, c.grads)).toBeGreaterThan(1e-4); // other masks
    for (const r of [a, b, c]) tf.dispose([r.value, ...Object.values(r.grads), ...Object.values(r.metrics ?? {})]);
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    model.dispose();
  });

  test('trains through Trainer.stepWith and lowers the loss', async () => {
    random.setSeed(5);
    const model = new VATT(deterministic).train();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 8, 4), [0, 1, 2, 3, 4, 5, 6, 7]);
    const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 100 } });
    const losses: number[] = [];
    const tensors: number[] = [];
    for (let i = 0; i < 25; i++) {
      losses.push((await trainer.stepWith(() => pretrainGradients(model, batch, { microBatch: 3 }))).loss);
      tensors.push(tf.memory().numTensors);
    }
    // Flat from the second step on (the first creates the optimizer's slots): no step leaves a tensor behind.
    expect(new Set(tensors.slice(1)).size).toBe(1);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    trainer.dispose();
    model.dispose();
  });

  test('a frozen word table is no moving statistic: micro-batched steps never re-assign it and leave it bit-identical', async () => {
    random.setSeed(9);
    const model = new VATT({ ...deterministic, text: { ...deterministic.text, trainableEmbeddings: false } }).train();
    const stats = movingStatistics(model);
    const names = stats.map(([n]) => n);
    expect(names.length).toBeGreaterThan(0);
    for (const [n, v] of stats) {
      expect(n).toMatch(/moving_(mean|variance)$/);
      expect(v.trainable).toBe(false);
    }
    const frozen = model.namedParameters().filter(([n, v]) => !v.trainable && !names.includes(n));
    expect(frozen.map(([n]) => n)).toEqual([expect.stringMatching(/embedding\/embeddings$/)]);
    const table = frozen[0][1];
    const initial = await table.data();
    const statsBefore = await Promise.all(stats.map(([, v]) => v.data()));
    const assign = jest.spyOn(table, 'assign');
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 6, 6), [0, 1, 2, 3, 4, 5]);
    const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 100 } });
    for (let i = 0; i < 2; i++) expect((await trainer.stepWith(() => pretrainGradients(model, batch, { microBatch: 2 }))).skipped).toBe(false);
    expect(assign).not.toHaveBeenCalled();
    expect(Array.from(await table.data())).toEqual(Array.from(initial));
    // The BatchNorm statistics still move (the taped replay updates them).
    const statsAfter = await Promise.all(stats.map(([, v]) => v.data()));
    expect(statsAfter.some((x, i) => x.some((y, j) => y !== statsBefore[i][j]))).toBe(true);
    assign.mockRestore();
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    trainer.dispose();
    model.dispose();
  });
});
