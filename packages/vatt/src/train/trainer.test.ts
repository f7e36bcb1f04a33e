import * as tf from '@tensorflow/tfjs-core';
import { Dense, random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { Trainer } from './trainer.js';

beforeAll(() => useBackend('cpu'));

describe('Trainer', () => {
  test('the learning-rate schedule reaches SGD-family optimizers too (they cache the rate)', async () => {
    random.setSeed(0);
    const layer = new Dense('d', 1, 1, { useBias: false });
    layer.kernel.assign(tf.tensor2d([[1]]));
    const trainer = new Trainer({
      model: layer,
      schedule: { kind: 'code', baseLr: 0.1, endLr: 0, warmupSteps: 2, totalSteps: 4 },
      makeOptimizer: (lr) => tf.train.sgd(lr),
    });
    const x = tf.tensor2d([[1]]);
    const kernels: number[] = [];
    for (let i = 0; i < 3; i++) {
      // loss = w, gradient 1: plain SGD moves w by exactly -lr.
      const r = await trainer.trainStep(() => ({ loss: tf.sum(layer.apply(x)) as tf.Scalar }));
      kernels.push((await layer.kernel.data())[0]);
      expect(r.lr).toBeCloseTo([0, 0.05, 0.1][i], 12);
    }
    expect(kernels[0]).toBeCloseTo(1, 6); // warmup starts at lr 0
    expect(kernels[1]).toBeCloseTo(0.95, 6);
    expect(kernels[2]).toBeCloseTo(0.85, 6);
    x.dispose();
    trainer.dispose();
    layer.dispose();
  });

  test('a non-finite gradient outside the clipped parameters still skips the step (the NaN guard sees every gradient)', async () => {
    random.setSeed(1);
    const backbone = new Dense('backbone', 1, 1);
    const head = new Dense('head', 1, 1);
    const model = new (class extends Dense {
      constructor() {
        super('m', 1, 1);
        this.child(backbone);
        this.child(head);
      }
    })();
    // Fine-tuning clips the backbone only; a NaN in the head's gradient used to pass the guard.
    const trainer = new Trainer({
      model,
      schedule: { kind: 'constant', baseLr: 0.1, endLr: 0.1, warmupSteps: 0, totalSteps: 4 },
      clipNorm: 1,
      clipFilter: (n) => n.startsWith('backbone'),
    });
    const before = await head.kernel.data();
    const r = await trainer.stepWith(() => ({
      value: tf.scalar(1),
      grads: { 'backbone/kernel': tf.ones([1, 1]), 'head/kernel': tf.tensor2d([[NaN]]) },
    }));
    expect(r.skipped).toBe(true);
    expect(r.reason).toMatch(/non-finite gradient norm/);
    expect(Number.isFinite(r.gradNorm)).toBe(true); // the clipped set alone is finite
    expect(await head.kernel.data()).toEqual(before);
    // Gradients keyed by anything but a trainable parameter path are refused.
    await expect(trainer.stepWith(() => ({ value: tf.scalar(1), grads: { 'nope/kernel': tf.ones([1, 1]) } }))).rejects.toThrow(
      /gradients for 1 name\(s\) that are not trainable parameters: nope\/kernel/,
    );
    trainer.dispose();
    model.dispose();
  });
});
