import * as tf from '@tensorflow/tfjs-core';
import { webgpuAvailable } from '@vatt-testing/backends';
import { BACKEND_CHOICES, setupBackend, vulkanDriverMissing, type BackendChoice } from './backend.js';

const webgpuTest = webgpuAvailable() ? test : test.skip;

describe('setupBackend', () => {
  test('auto skips a software WebGPU adapter and tfjs-node when absent, and picks wasm', async () => {
    const info = await setupBackend('auto');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.detail).toContain('tensorflow (tfjs-node not installed)');
    expect(info.detail).toMatch(/webgpu \((no hardware adapter|no Vulkan)/);
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

  test('auto skips WebGPU quietly where Dawn would find no Vulkan driver (it prints native stack traces)', () => {
    const probe = (files: string[], env: Record<string, string> = {}) => ({
      env,
      platform: 'linux',
      exists: (f: string) => files.includes(f),
      list: (d: string) => files.filter((f) => f.startsWith(`${d}/`)).map((f) => f.slice(d.length + 1)),
    });
    const lib = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
    expect(vulkanDriverMissing(probe([]))).toBe('no Vulkan loader (libvulkan.so.1)');
    expect(vulkanDriverMissing(probe([lib]))).toMatch(/^no Vulkan driver \(no ICD manifest/);
    expect(vulkanDriverMissing(probe([lib, '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json']))).toBeNull();
    const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
    expect(vulkanDriverMissing(probe([lib, swiftshader], { VK_ICD_FILENAMES: swiftshader }))).toBeNull();
    expect(vulkanDriverMissing(probe([lib], { VK_ICD_FILENAMES: swiftshader }))).toBe(`no Vulkan driver at VK_ICD_FILENAMES=${swiftshader}`);
    expect(vulkanDriverMissing({ ...probe([]), platform: 'darwin' })).toBeNull(); // Metal, not Vulkan
  });
});
