/**
 * Activation checkpointing: same loss and gradients as the plain encoder (dropout on, padding mask),
 * much less memory held for backprop, and nothing left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBackend, maxAbsDiff, testBackends, useBackend, type TestBackend } from '@vatt-testing/backends';
import { random, T5Encoder, TransformerEncoder } from '../index.js';

const OPTS = { numLayers: 3, dModel: 32, numHeads: 4, dFF: 64, dropout: 0.2, attnDropout: 0.2 };

function suite(_backend: TestBackend) {
  const run = async (checkpointLayers: boolean) => {
    random.setSeed(21);
    const enc = new TransformerEncoder('tx', { ...OPTS, checkpointLayers }).train();
    const x = tf.randomNormal([3, 9, 32], 0, 1, 'float32', 22);
    const mask = tf.tensor2d([
      [1, 1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0, 0, 0, 0],
      [1, 1, 1, 0, 0, 0, 0, 0, 0],
    ]);
    random.setSeed(23); // the dropout draws
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.apply(x, { mask }))) as tf.Scalar, enc.trainableVariables());
      const out = { loss: value.dataSync()[0], grads: enc.trainableVariables().map((v) => grads[v.name].dataSync().slice()) };
      tf.dispose([value, ...Object.values(grads)]);
      return out as unknown as tf.TensorContainer;
    });
    const result = profile.result as unknown as { loss: number; grads: Float32Array[] };
    const stateAfter = random.getRandomState();
    // Repeated steps leave no tensors behind.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.apply(x, { mask }))) as tf.Scalar, enc.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask]);
    enc.dispose();
    return { ...result, peakBytes: profile.peakBytes, stateAfter };
  };

  test('checkpointed layers give the plain gradients with dropout and a mask, holding less for backprop', async () => {
    const plain = await run(false);
    const ckpt = await run(true);
    expect(Math.abs(ckpt.loss - plain.loss)).toBeLessThan(1e-6);
    expect(ckpt.grads).toHaveLength(plain.grads.length);
    for (let i = 0; i < plain.grads.length; i++) {
      const scale = Math.max(1e-3, ...Array.from(plain.grads[i], Math.abs));
      expect(maxAbsDiff(ckpt.grads[i], plain.grads[i]) / scale).toBeLessThan(1e-5);
    }
    // The random stream ends where the plain run's ends: the replays put it back.
    expect(ckpt.stateAfter).toBe(plain.stateAfter);
    expect(ckpt.peakBytes).toBeLessThan(0.7 * plain.peakBytes);
  });

  test('in inference it is the plain forward pass', async () => {
    random.setSeed(24);
    const enc = new TransformerEncoder('tx', { ...OPTS, checkpointLayers: true });
    const x = tf.randomNormal([2, 5, 32], 0, 1, 'float32', 25);
    const a = enc.apply(x);
    enc.setCheckpointing(false);
    const b = enc.apply(x);
    expect(maxAbsDiff(await a.data(), await b.data())).toBe(0);
    tf.dispose([x, a, b]);
    enc.dispose();
  });
}

forEachBackend(testBackends(), suite);

describe('T5 encoder checkpointing', () => {
  test('gives the plain gradients, the relative position table included (wasm)', async () => {
    await useBackend('wasm');
    const run = async (on: boolean) => {
      random.setSeed(41);
      const lm = new T5Encoder('base_lm', { numLayers: 3, dModel: 32, numHeads: 4, dFF: 64, dropout: 0.2 }).train();
      lm.setCheckpointing(on);
      const x = tf.randomNormal([2, 7, 32], 0, 1, 'float32', 42);
      const mask = tf.tensor2d([
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0, 0],
      ]);
      random.setSeed(43);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(lm.apply(x, { mask }))) as tf.Scalar, lm.trainableVariables());
      const out = { loss: (await value.data())[0], grads: await Promise.all(lm.trainableVariables().map((v) => grads[v.name].data())) };
      tf.dispose([value, x, mask, ...Object.values(grads)]);
      lm.dispose();
      return out;
    };
    const plain = await run(false);
    const ckpt = await run(true);
    expect(Math.abs(ckpt.loss - plain.loss)).toBeLessThan(1e-6);
    plain.grads.forEach((a, i) => {
      const scale = Math.max(1e-3, ...Array.from(a, Math.abs));
      expect(maxAbsDiff(ckpt.grads[i], a) / scale).toBeLessThan(1e-5);
    });
  });
});
