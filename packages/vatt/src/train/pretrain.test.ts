import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomClips, TEST_VOCAB } from '../../test/random-clips.js';
import { getPreset } from '../config/index.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT } from '../model/vatt.js';
import { applyOverrides, getExperiment } from '../config/index.js';
import { batchIndices } from '../data/order.js';
import { makePretrainBatch, pretrain } from './pretrain.js';
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
        return { loss: t.total, metrics: { lossVa: t.lossVa, lossVt: t.lossVt } };
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
  const config = applyOverrides(getExperiment('tiny'), [
    'training.steps=6',
    'training.batchSize=4',
    'schedule.lr=0.001',
    'schedule.warmupSteps=2',
    'training.clipNorm=1',
    'training.seed=3',
    'training.checkpointEvery=2',
    'training.keep=2',
  ]);
  const data = randomClips(preprocessing, 12, 7);
  const run = (outDir: string, extra: Partial<Parameters<typeof pretrain>[0]> = {}, events = {}) =>
    pretrain({ config, data, vocab: TEST_VOCAB, outDir, ...extra }, events);

  test('an interrupted run resumed from its newest checkpoint repeats the uninterrupted losses exactly', async () => {
    const start = tf.memory().numTensors;
    const full = await run(path.join(dir, 'full'));
    full.model.dispose();
    // Checkpoints at steps 2, 4 and 6 (the last one after the last step record) leave no tensor behind.
    expect(tf.memory().numTensors).toBe(start);
    const crash = new Error('simulated crash');
    await expect(
      run(
        path.join(dir, 'cut'),
        {},
        {
          onStep: (r: { step: number }) => {
            if (r.step === 5) throw crash;
          },
        },
      ),
    ).rejects.toBe(crash);
    // A save that was killed mid-write leaves a temporary directory; resume must ignore it.
    await fs.mkdir(path.join(dir, 'cut', 'checkpoints', 'ckpt-00000006.tmp-1-x'), { recursive: true });
    // The saved config is used when none is given.
    const resumed = await pretrain({ data, vocab: TEST_VOCAB, outDir: path.join(dir, 'cut'), resume: true });
    expect(resumed.history.map((r) => r.step)).toEqual([5, 6]);
    expect(resumed.history.map((r) => r.loss)).toEqual(full.history.slice(4).map((r) => r.loss));
    // Tensors alive is flat from step 2 on, and neither the crashed run nor the restore on resume leaves any behind.
    expect(new Set(full.history.slice(1).map((r) => r.tensors)).size).toBe(1);
    resumed.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  test('--resume without a checkpoint says where it looked', async () => {
    await expect(run(path.join(dir, 'none'), { resume: true })).rejects.toThrow(/no complete checkpoint in .*none\/checkpoints/);
  });

  test('a fresh run into a directory holding another run is refused, unless --overwrite', async () => {
    const out = path.join(dir, 'used');
    (await run(out)).model.dispose();
    // Without the check, retention (the highest steps are kept) deleted the new run's checkpoints and
    // latest() returned the old run's.
    const shorter = { ...config, training: { ...config.training, steps: 2 } };
    await expect(pretrain({ config: shorter, data, vocab: TEST_VOCAB, outDir: out })).rejects.toThrow(
      /used already holds checkpoints of a run \(newest: ckpt-00000006\): resume it \(--resume, resume: true\), or delete them and start again \(--overwrite/,
    );
    const fresh = await pretrain({ config: shorter, data, vocab: TEST_VOCAB, outDir: out, overwrite: true });
    expect(fresh.lastCheckpoint).toMatch(/ckpt-00000002$/);
    expect((await fs.readdir(path.join(out, 'checkpoints'))).sort()).toEqual(['ckpt-00000002']);
    fresh.model.dispose();
  });

  test('--resume with another batch size, seed, step count or data source is refused, naming each difference', async () => {
    const out = path.join(dir, 'changed');
    await expect(
      run(
        out,
        {},
        {
          onStep: (r: { step: number }) => {
            if (r.step === 3) throw new Error('stop');
          },
        },
      ),
    ).rejects.toThrow('stop');
    const changed = applyOverrides(config, ['training.batchSize=6', 'training.seed=4', 'training.steps=8']);
    const err = await run(out, { resume: true, config: changed, dataSource: 'other.jsonl' }).catch((e: Error) => e);
    expect(String(err)).toMatch(/resume \(--resume\): this run was started with other settings/);
    expect(String(err)).toMatch(/training\.batchSize: 6 now, 4 in the run/);
    expect(String(err)).toMatch(/training\.seed: 4 now, 3 in the run/);
    expect(String(err)).toMatch(/training\.steps: 8 now, 6 in the run/);
    expect(String(err)).toMatch(/^[^]*data: "other\.jsonl" now, "in-memory" in the run/);
    // Bookkeeping may change; with --allow-changes the new settings apply.
    const kept = await run(out, { resume: true, config: applyOverrides(config, ['training.keep=5']) });
    expect(kept.history.map((r) => r.step)).toEqual([3, 4, 5, 6]);
    kept.model.dispose();
    const longer = await run(out, { resume: true, config: applyOverrides(config, ['training.steps=7']), allowChanges: true });
    expect(longer.history.map((r) => r.step)).toEqual([7]);
    longer.model.dispose();
  });
});
