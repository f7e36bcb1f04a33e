import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointManager, loadCheckpoint, saveCheckpoint } from './store.js';
import { fileHandler, registerFileRouter } from './file-handler.js';
import { weightBuffer } from './format.js';
import { withoutLeaks } from './official/test-helpers.js';

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
  test('weights, optimizer slots, config, vocab and training state round-trip by name', () =>
    withoutLeaks(async (own) => {
      const w = own({
        'video/tx/layers/0/mha/q/kernel': tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
        'head/bn/moving_mean': tf.tensor1d([0.5, -1]),
      });
      const opt = own({ 'm/video/tx/layers/0/mha/q/kernel': tf.ones([2, 2]) });
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
      own(c.weights);
      own(c.optimizer);
      expect(c.modelConfig.preset).toBe('tiny');
      expect(c.preprocessing.fps).toBe(10);
      expect(c.vocab).toEqual(['<pad>', 'a']);
      expect(c.training?.step).toBe(7);
      expect(Array.from(await c.weights['video/tx/layers/0/mha/q/kernel'].data())).toEqual([1, 2, 3, 4]);
      expect(Array.from(await c.weights['head/bn/moving_mean'].data())).toEqual([0.5, -1]);
      expect(Object.keys(c.optimizer ?? {})).toEqual(['m/video/tx/layers/0/mha/q/kernel']);
    }));

  test('large weights are split into shards and a truncated shard is detected', () =>
    withoutLeaks(async (own) => {
      const big = own(tf.randomNormal([1200, 1000])); // 4.8 MB -> 2 shards of 4 MiB
      const p = path.join(dir, 'big');
      await saveCheckpoint(p, { modelConfig: {}, preprocessing: {}, weights: { big } });
      const files = (await fs.readdir(p)).sort();
      expect(files).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin', 'model.json']);
      const c = await loadCheckpoint(p);
      own(c.weights);
      expect(Array.from(await c.weights.big.data())).toEqual(Array.from(await big.data()));
      await fs.truncate(path.join(p, 'group1-shard2of2.bin'), 100);
      await expect(loadCheckpoint(p)).rejects.toThrow(/truncated shard/);
    }));

  test('the manager keeps the newest N and ignores half-written directories', () =>
    withoutLeaks(async (own) => {
      const m = new CheckpointManager(dir, 2);
      const w = own({ a: tf.scalar(1) });
      for (const step of [10, 20, 30]) await m.save(step, { modelConfig: {}, preprocessing: {}, weights: w });
      // A save that died before its rename leaves a temp directory behind.
      await fs.mkdir(path.join(dir, 'ckpt-00000040.tmp-999999-abc'));
      expect((await m.list()).map((c) => c.step)).toEqual([20, 30]);
      expect((await m.latest())?.step).toBe(30);
    }));

  test('a tampered model.json cannot read outside the checkpoint, and every weight spec is checked', () =>
    withoutLeaks(async (own) => {
      const p = path.join(dir, 'tampered');
      const weights = own({ 'video/a': tf.tensor1d([1, 2, 3]), 'video/b': tf.tensor2d([[4, 5]]) });
      await saveCheckpoint(p, { modelConfig: {}, preprocessing: {}, weights });
      const json = JSON.parse(await fs.readFile(path.join(p, 'model.json'), 'utf8'));
      const write = (j: unknown) => fs.writeFile(path.join(p, 'model.json'), JSON.stringify(j));
      const shard = json.weightsManifest[0].paths[0];
      const withPath = (p0: string) => ({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: [p0] }] });
      // Paths that leave the directory: `..`, absolute, a symbolic link pointing out.
      await fs.copyFile(path.join(p, shard), path.join(dir, 'outside.bin'));
      await write(withPath('../outside.bin'));
      await expect(loadCheckpoint(p)).rejects.toThrow(/lists weight shard "\.\.\/outside\.bin": a shard must be a file name inside the checkpoint directory/);
      await write(withPath(path.join(dir, 'outside.bin')));
      await expect(loadCheckpoint(p)).rejects.toThrow(/a shard must be a file name inside the checkpoint directory/);
      await fs.symlink(path.join(dir, 'outside.bin'), path.join(p, 'link.bin'));
      await write(withPath('link.bin'));
      await expect(loadCheckpoint(p)).rejects.toThrow(/weight shard .*link\.bin .* leads outside the checkpoint directory/);
      // Sizes against the specs, with the manifest's own total left out: trailing bytes, a short shard, a wrong dtype.
      const { weightDataBytes: _total, ...noTotal } = json;
      await write(noTotal);
      await fs.appendFile(path.join(p, shard), Buffer.alloc(8));
      await expect(loadCheckpoint(p)).rejects.toThrow(/the shards hold 8 bytes after the last weight \(20 expected in all\)/);
      await fs.truncate(path.join(p, shard), 16);
      await expect(loadCheckpoint(p)).rejects.toThrow(/weight "video\/b" \[1,2\] float32 needs bytes 12-20, but the shards hold 16/);
      await fs.truncate(path.join(p, shard), 20);
      const specs = json.weightsManifest[0].weights;
      await write({ ...noTotal, weightsManifest: [{ ...json.weightsManifest[0], weights: [{ ...specs[0], dtype: 'float64' }, specs[1]] }] });
      await expect(loadCheckpoint(p)).rejects.toThrow(/weight "video\/a" has dtype "float64", expected float32, int32, bool/);
      // A NaN weight is a damaged checkpoint.
      await write(json);
      const bytes = await fs.readFile(path.join(p, shard));
      new DataView(bytes.buffer, bytes.byteOffset).setFloat32(4, NaN, true);
      await fs.writeFile(path.join(p, shard), bytes);
      await expect(loadCheckpoint(p)).rejects.toThrow(/weight "video\/a" holds NaN at element 1: the checkpoint is damaged/);
    }));

  test('a save removes leftovers of dead processes only: another live process may be saving beside it', () =>
    withoutLeaks(async (own) => {
      const m = new CheckpointManager(dir, 2);
      const w = own({ a: tf.scalar(1) });
      const dead = path.join(dir, 'ckpt-00000005.tmp-999999-abc'); // no process 999999
      const live = path.join(dir, `ckpt-00000006.tmp-${process.ppid}-abc`); // our parent is alive
      await fs.mkdir(dead);
      await fs.mkdir(live);
      await m.save(10, { modelConfig: {}, preprocessing: {}, weights: w });
      const names = await fs.readdir(dir);
      expect(names).not.toContain(path.basename(dead));
      expect(names).toContain(path.basename(live));
    }));

  test('a file:// URL works through tf.io routers', async () => {
    registerFileRouter();
    const handlers = tf.io.getSaveHandlers(`file://${path.join(dir, 'r')}`);
    expect(handlers).toHaveLength(1);
    const h = fileHandler(`file://${path.join(dir, 'r')}`);
    await h.save!({ modelTopology: { x: 1 }, weightSpecs: [], weightData: new ArrayBuffer(0) });
    const a = await h.load!();
    expect(a.modelTopology).toEqual({ x: 1 });
  });

  test('one weight buffer is used as it is; several shards are joined', () => {
    const one = new ArrayBuffer(8);
    expect(weightBuffer(one)).toBe(one);
    expect(weightBuffer(undefined).byteLength).toBe(0);
    const joined = weightBuffer([Uint8Array.of(1, 2).buffer, Uint8Array.of(3).buffer]);
    expect(Array.from(new Uint8Array(joined))).toEqual([1, 2, 3]);
  });

  test('a checkpoint without a preprocessing config is refused before any weight becomes a tensor', () =>
    withoutLeaks(async (own) => {
      const p = path.join(dir, 'nopre');
      await saveCheckpoint(p, { modelConfig: {}, preprocessing: undefined, weights: { a: own(tf.tensor1d([1, 2])) } });
      await expect(loadCheckpoint(p)).rejects.toThrow(/nopre has no preprocessing config/);
    }));

  test('a missing checkpoint gives an error naming the file', async () => {
    await expect(loadCheckpoint(path.join(dir, 'nope'))).rejects.toThrow(/cannot read .*nope\/model.json/);
  });
});
