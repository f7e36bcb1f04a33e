import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { randomClips, TEST_VOCAB, withoutRandomness } from '../../test/random-clips.js';
import { getPreset } from '../model/config.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT } from '../model/vatt.js';
import { chunkedPretrainGrads } from './grad-cache.js';
import { makePretrainBatch } from './pretrain.js';
import { Trainer } from './trainer.js';

const { model: cfg, preprocessing } = getPreset('tiny');
const deterministic = withoutRandomness(cfg);

beforeAll(() => useBackend('wasm'));

describe('micro-batched pretraining gradients (gradient cache)', () => {
  test('equal the full-batch gradients, with every clip of the batch as a negative', async () => {
    random.setSeed(4);
    const model = new VATT(deterministic).train();
    // BatchNorm on moving statistics: with batch statistics each chunk would normalise differently.
    model.head.eval();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 6, 3), [0, 1, 2, 3, 4, 5]);
    const vars = model.trainableVariables();
    random.setSeed(9);
    const full = tf.variableGrads(() => model.pretrainLoss(batch).total, vars);
    random.setSeed(9);
    const before = tf.memory().numTensors;
    const chunked = chunkedPretrainGrads(model, batch, 2, vars);
    expect(Math.abs((await chunked.value.data())[0] - (await full.value.data())[0])).toBeLessThan(1e-5);
    let worst = 0;
    for (const v of vars) {
      const a = await full.grads[v.name].data();
      const b = await chunked.grads[v.name].data();
      const scale = Math.max(1e-3, ...Array.from(a, Math.abs));
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
    }
    expect(worst).toBeLessThan(1e-3);
    expect(Object.keys(chunked.grads).length).toBe(vars.length);
    tf.dispose([chunked.value, ...Object.values(chunked.grads), ...Object.values(chunked.metrics ?? {})]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([full.value, ...Object.values(full.grads), batch.videoPatches, batch.audioPatches, batch.textIds]);
    model.dispose();
  });

  test('train through Trainer.stepWith and lower the loss', async () => {
    random.setSeed(5);
    const model = new VATT(deterministic).train();
    const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
    const batch = makePretrainBatch(pre, randomClips(preprocessing, 8, 4), [0, 1, 2, 3, 4, 5, 6, 7]);
    const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 100 } });
    const losses: number[] = [];
    for (let i = 0; i < 25; i++) losses.push((await trainer.stepWith((vars) => chunkedPretrainGrads(model, batch, 3, vars))).loss);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    trainer.dispose();
    model.dispose();
  });
});
