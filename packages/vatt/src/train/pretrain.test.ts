import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomClips, TEST_VOCAB } from '../../test/random-clips.js';
import { getPreset } from '../model/config.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT } from '../model/vatt.js';
import { batchIndices, makePretrainBatch, pretrain, type PretrainOptions } from './pretrain.js';
import { Trainer } from './trainer.js';

const { model: tinyConfig, preprocessing } = getPreset('tiny');
let dir: string;

beforeAll(async () => {
  await useBackend('wasm');
});
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vatt-train-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// DropToken off: on a batch of random noise clips a fresh random half of the tokens each step is a
// different input every step; with real data it is an augmentation, here it would only add noise.
const noDropToken = { ...tinyConfig, video: { ...tinyConfig.video, dropTokenKeepRate: null }, audio: { ...tinyConfig.audio, dropTokenKeepRate: null } };

function setup(seed = 0) {
  random.setSeed(seed);
  const model = new VATT(noDropToken).train();
  const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
  const data = randomClips(preprocessing, 8);
  const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 100 } });
  return { model, pre, data, trainer };
}

async function snapshot(model: VATT): Promise<Map<string, Float32Array>> {
  const m = new Map<string, Float32Array>();
  for (const [n, v] of model.namedParameters()) m.set(n, (await v.data()) as Float32Array);
  return m;
}

describe('pretraining steps', () => {
  test('the loss falls on a fixed batch', async () => {
    const { model, pre, data, trainer } = setup();
    const batch = makePretrainBatch(pre, data, [0, 1, 2, 3]);
    const losses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await trainer.trainStep(() => {
        const t = model.pretrainLoss(batch);
        return { loss: t.total, metrics: { va: t.videoAudio, vt: t.videoText } };
      });
      losses.push(r.loss);
    }
    // Training mode is noisy (dropout, BatchNorm on 4 clips): compare the means of the first and last 5 steps.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.7 * mean(losses.slice(0, 5)));
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    trainer.dispose();
    model.dispose();
  });

  test('a NaN in a batch skips the step, reports it, and leaves every weight and BatchNorm statistic untouched', async () => {
    const { model, pre, data, trainer } = setup(1);
    const batch = makePretrainBatch(pre, data, [0, 1, 2, 3]);
    const step = () =>
      trainer.trainStep(() => {
        const t = model.pretrainLoss(batch);
        return { loss: t.total };
      });
    await step(); // creates the optimizer slots
    const before = await snapshot(model);
    const weightsBefore = await trainer.optimizerWeights();
    const slotsBefore = Object.fromEntries(await Promise.all(Object.entries(weightsBefore).map(async ([k, t]) => [k, Array.from(await t.data())] as const)));
    weightsBefore.iter.dispose();
    const poisoned = tf.tidy(() => {
      const buf = batch.videoPatches.bufferSync();
      buf.set(NaN, 1, 3, 5);
      return buf.toTensor() as tf.Tensor3D;
    });
    const good = batch.videoPatches;
    batch.videoPatches = poisoned;
    const r = await step();
    expect(r.skipped).toBe(true);
    expect(r.reason).toMatch(/non-finite (loss|gradient)/);
    expect(trainer.skippedSteps).toBe(1);
    const after = await snapshot(model);
    for (const [n, v] of before) expect({ n, same: Array.from(after.get(n)!).every((x, i) => x === v[i]) }).toEqual({ n, same: true });
    const slotsAfter = await trainer.optimizerWeights();
    for (const [k, t] of Object.entries(slotsAfter)) expect(Array.from(await t.data())).toEqual(slotsBefore[k]);
    slotsAfter.iter.dispose();
    batch.videoPatches = good;
    poisoned.dispose();
    const ok = await step();
    expect(ok.skipped).toBe(false);
    expect(Number.isFinite(ok.loss)).toBe(true);
    tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
    trainer.dispose();
    model.dispose();
  });

  test('training steps leak no tensor', async () => {
    const { model, pre, data, trainer } = setup(2);
    const counts: number[] = [];
    for (let s = 0; s < 5; s++) {
      const batch = makePretrainBatch(pre, data, batchIndices(data.size, 4, 0, s).indices);
      await trainer.trainStep(() => ({ loss: model.pretrainLoss(batch).total }));
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
      counts.push(tf.memory().numTensors);
    }
    // Step 1 creates Adam's slots; from step 2 on the count is flat.
    expect(counts.slice(1)).toEqual(Array(4).fill(counts[1]));
    trainer.dispose();
    model.dispose();
  });

  test('batches are a pure function of (seed, step) and cover each epoch once', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 4; s++) for (const i of batchIndices(8, 2, 5, s).indices) seen.add(i);
    expect(seen.size).toBe(8);
    expect(batchIndices(8, 2, 5, 3)).toEqual(batchIndices(8, 2, 5, 3));
    expect(batchIndices(8, 2, 5, 4).epoch).toBe(1);
    expect(() => batchIndices(3, 4, 0, 0)).toThrow(/batch size 4 exceeds the 3 training clips/);
  });
});

describe('resume', () => {
  const base = (outDir: string): PretrainOptions => ({
    preset: 'tiny',
    steps: 6,
    batchSize: 4,
    lr: 1e-3,
    warmup: 2,
    schedule: 'code',
    dropRate: 0.5,
    clipNorm: 1,
    seed: 3,
    outDir,
    checkpointEvery: 2,
    keep: 2,
    resume: false,
  });

  test('an interrupted run resumed from its newest checkpoint repeats the uninterrupted losses exactly', async () => {
    const data = randomClips(preprocessing, 12, 7);
    const full = await pretrain(base(path.join(dir, 'full')), data, TEST_VOCAB);
    full.model.dispose();
    const crash = new Error('simulated crash');
    await expect(
      pretrain(base(path.join(dir, 'cut')), data, TEST_VOCAB, {
        onStep: (r) => {
          if (r.step === 5) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    // A save that was killed mid-write leaves a temporary directory; resume must ignore it.
    await fs.mkdir(path.join(dir, 'cut', 'checkpoints', 'ckpt-00000006.tmp-1-x'), { recursive: true });
    const resumed = await pretrain({ ...base(path.join(dir, 'cut')), resume: true }, data, TEST_VOCAB);
    expect(resumed.history.map((r) => r.step)).toEqual([5, 6]);
    expect(resumed.history.map((r) => r.loss)).toEqual(full.history.slice(4).map((r) => r.loss));
    // Checkpoints at steps 2, 4 and 6 leave no tensor behind (tensors alive is flat from step 2 on).
    expect(new Set(full.history.slice(1).map((r) => r.tensors)).size).toBe(1);
    resumed.model.dispose();
  });

  test('--resume without a checkpoint says where it looked', async () => {
    await expect(pretrain({ ...base(path.join(dir, 'none')), resume: true }, randomClips(preprocessing, 4), TEST_VOCAB)).rejects.toThrow(
      /no complete checkpoint in .*none\/checkpoints/,
    );
  });
});
