/**
 * The wasm kernels: buffer-sharing Identity/Cast (so tfjs's backprop clones copy nothing) and the
 * XNNPACK-per-batch-entry batched matMul, checked for values, reference counting and leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxAbsDiff, useBackend } from '@vatt-testing/backends';
import { TransformerEncoder, installWasmKernels, matMul, random } from '../index.js';

describe('wasm kernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  test('installWasmKernels is idempotent and clone/same-dtype cast share the buffer', async () => {
    expect(installWasmKernels()).toBe(true);
    expect(installWasmKernels()).toBe(true);
    const x = tf.tensor2d([1.5, -2.25, 3, 4], [2, 2]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    expect(tf.memory().numDataBuffers).toBe(buffers); // no new buffer: the same data, counted once more
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1.5, -2.25, 3, 4]); // still alive: reference counted
    y.dispose();
    expect(Array.from(await z.data())).toEqual([1.5, -2.25, 3, 4]);
    // A real conversion still converts (the stock kernel does it).
    const i = tf.cast(z, 'int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(await i.data())).toEqual([1, -2, 3, 4]);
    // A cast to bool gives 0/1 (the stock wasm kernel kept 2 as 2), NaN counts as true as on cpu.
    const b = tf.cast(tf.tensor1d([0, 2, -0.5, 0, NaN]), 'bool');
    expect(b.dtype).toBe('bool');
    expect(Array.from(await b.data())).toEqual([0, 1, 1, 0, 1]);
    const bi = tf.cast(tf.tensor1d([0, 7, -3], 'int32'), 'bool');
    expect(Array.from(await bi.data())).toEqual([0, 1, 1]);
    tf.dispose([z, i, b, bi]);
  });

  test('a training step of a 2-layer encoder: gradients as on cpu, no tensors left, heap stays flat', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      random.setSeed(3);
      const enc = new TransformerEncoder('tx', { numLayers: 2, dModel: 32, numHeads: 4, dFF: 64, dropout: 0, attnDropout: 0 });
      enc.train();
      const x = tf.randomNormal([3, 10, 32], 0, 1, 'float32', 4);
      const step = () => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.apply(x))), enc.trainableVariables());
        return { value, grads };
      };
      const { value, grads } = step();
      // By position in trainableVariables() (variable names carry a per-instance suffix).
      const flat = await Promise.all(enc.trainableVariables().map((v) => grads[v.name].data()));
      tf.dispose([value, ...Object.values(grads)]);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const r = step();
        tf.dispose([r.value, ...Object.values(r.grads)]);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(x);
      enc.dispose();
      return flat;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm.length).toBe(cpu.length);
    for (let k = 0; k < cpu.length; k++) {
      const scale = Math.max(1e-3, ...Array.from(cpu[k], Math.abs));
      expect(maxAbsDiff(wasm[k], cpu[k]) / scale).toBeLessThanOrEqual(1e-4);
    }
  });

  test('the batched kernel gives the stock values on a 64-entry attention-shaped product', async () => {
    await useBackend('wasm');
    const a = tf.randomNormal([64, 20, 8], 0, 1, 'float32', 7);
    const b = tf.randomNormal([64, 8, 20], 0, 1, 'float32', 8);
    const ours = matMul(a, b);
    const stock = tf.matMul(a, b); // tfjs-backend-wasm's scalar loop
    expect(maxAbsDiff(await ours.data(), await stock.data())).toBeLessThanOrEqual(1e-5);
    tf.dispose([a, b, ours, stock]);
  });
});
