import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointManager, loadCheckpoint, saveCheckpoint } from './store.js';
import { fileHandler, registerFileRouter } from './file-handler.js';

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
});
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vatt-ckpt-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('checkpoints', () => {
  test('weights, optimizer slots, config, vocab and training state round-trip by name', async () => {
    const w = {
      'video/tx/layers/0/mha/q/kernel': tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      'head/bn/moving_mean': tf.tensor1d([0.5, -1]),
    };
    const opt = { 'm/video/tx/layers/0/mha/q/kernel': tf.ones([2, 2]) };
    const p = path.join(dir, 'c');
    await saveCheckpoint(p, {
      modelConfig: { preset: 'tiny' },
      preprocessing: { fps: 10 },
      vocab: ['<pad>', 'a'],
      training: { step: 7 },
      weights: w,
      optimizer: opt,
    });
    const c = await loadCheckpoint<{ preset: string }, { fps: number }, { step: number }>(p);
    expect(c.modelConfig.preset).toBe('tiny');
    expect(c.preprocessing.fps).toBe(10);
    expect(c.vocab).toEqual(['<pad>', 'a']);
    expect(c.training?.step).toBe(7);
    expect(Array.from(await c.weights['video/tx/layers/0/mha/q/kernel'].data())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await c.weights['head/bn/moving_mean'].data())).toEqual([0.5, -1]);
    expect(Object.keys(c.optimizer ?? {})).toEqual(['m/video/tx/layers/0/mha/q/kernel']);
    tf.dispose([...Object.values(w), ...Object.values(opt), ...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]);
  });

  test('large weights are split into shards and a truncated shard is detected', async () => {
    const big = tf.randomNormal([1200, 1000]); // 4.8 MB -> 2 shards of 4 MiB
    const p = path.join(dir, 'big');
    await saveCheckpoint(p, { modelConfig: {}, preprocessing: {}, weights: { big } });
    const files = (await fs.readdir(p)).sort();
    expect(files).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin', 'model.json']);
    const c = await loadCheckpoint(p);
    expect(Array.from(await c.weights.big.data())).toEqual(Array.from(await big.data()));
    tf.dispose(Object.values(c.weights));
    await fs.truncate(path.join(p, 'group1-shard2of2.bin'), 100);
    await expect(loadCheckpoint(p)).rejects.toThrow(/truncated shard/);
    big.dispose();
  });

  test('the manager keeps the newest N and ignores half-written directories', async () => {
    const m = new CheckpointManager(dir, 2);
    const w = { a: tf.scalar(1) };
    for (const step of [10, 20, 30]) await m.save(step, { modelConfig: {}, preprocessing: {}, weights: w });
    // A save that died before its rename leaves a temp directory behind.
    await fs.mkdir(path.join(dir, 'ckpt-00000040.tmp-999999-abc'));
    expect((await m.list()).map((c) => c.step)).toEqual([20, 30]);
    expect((await m.latest())?.step).toBe(30);
    w.a.dispose();
  });

  test('a file:// URL works through tf.io routers', async () => {
    registerFileRouter();
    const handlers = tf.io.getSaveHandlers(`file://${path.join(dir, 'r')}`);
    expect(handlers).toHaveLength(1);
    const h = fileHandler(`file://${path.join(dir, 'r')}`);
    await h.save!({ modelTopology: { x: 1 }, weightSpecs: [], weightData: new ArrayBuffer(0) });
    const a = await h.load!();
    expect(a.modelTopology).toEqual({ x: 1 });
  });

  test('a missing checkpoint gives an error naming the file', async () => {
    await expect(loadCheckpoint(path.join(dir, 'nope'))).rejects.toThrow(/cannot read .*nope\/model.json/);
  });
});
