import * as tf from '@tensorflow/tfjs-core';
import { webgpuAvailable } from '@vatt-testing/backends';
import { BACKEND_CHOICES, setupBackend, type BackendChoice } from './backend.js';

const webgpuTest = webgpuAvailable() ? test : test.skip;

describe('setupBackend', () => {
  test('auto skips a software WebGPU adapter and tfjs-node when absent, and picks wasm', async () => {
    const info = await setupBackend('auto');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.detail).toContain('tensorflow (tfjs-node not installed)');
    expect(info.detail).toContain('webgpu (no hardware adapter)');
  });

  test('an explicit cpu activates the cpu backend', async () => {
    expect(await setupBackend('cpu')).toEqual({ name: 'cpu', detail: 'plain JavaScript' });
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), 1).data())).toEqual([2, 3]);
  });

  test('an explicit wasm activates the wasm backend', async () => {
    const info = await setupBackend('wasm');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Array.from(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).data())).toEqual([11]);
  });

  webgpuTest('an explicit webgpu accepts a software adapter (SwiftShader) and says so', async () => {
    const info = await setupBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.detail).toMatch(/swiftshader/i);
    expect(info.detail).toContain('(software)');
    expect(Array.from(await tf.mul(tf.tensor1d([1, 2, 3]), 2).data())).toEqual([2, 4, 6]);
    await setupBackend('cpu');
  });

  test('tensorflow without tfjs-node installed fails with the package to install', async () => {
    await expect(setupBackend('tensorflow')).rejects.toThrow(/tensorflow \(native\) could not start.*@tensorflow\/tfjs-node/);
  });

  test('an unknown backend name fails with the list of choices', async () => {
    await expect(setupBackend('cuda' as BackendChoice)).rejects.toThrow(`backend: unknown backend "cuda", expected one of ${BACKEND_CHOICES.join(', ')}`);
  });
});
