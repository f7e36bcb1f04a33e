/**
 * Backend parametrisation for the test suites (tfjs's `describeWithFlags(ALL_ENVS)` idea):
 * `forEachBackend(['cpu','wasm'], name => ...)` runs one suite per backend.
 * WebGPU runs in Node through Dawn (`webgpu` package) on SwiftShader from Debian's chromium.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';

export type TestBackend = 'cpu' | 'wasm' | 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
let webgpuRegistered: Promise<boolean> | undefined;

/** Registers tfjs's WebGPU backend on Dawn. Resolves false (with the reason logged) when no adapter exists. */
export function registerWebGpu(): Promise<boolean> {
  webgpuRegistered ??= (async () => {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
    await import('@tensorflow/tfjs-backend-webgpu');
    return true;
  })();
  return webgpuRegistered;
}

/**
 * True when the WebGPU suites can run here (Dawn + a Vulkan driver). Without a driver they are left out
 * locally, but under CI=true a missing driver is an error: a missing install step must not turn into a
 * green run without the WebGPU tests. VATT_TEST_WEBGPU=0 leaves them out on purpose.
 */
export function webgpuAvailable(): boolean {
  if (process.env.VATT_TEST_WEBGPU === '0') return false;
  const present = Boolean(process.env.VK_ICD_FILENAMES) || existsSync(SWIFTSHADER_ICD);
  if (!present && process.env.CI === 'true') {
    throw new Error(
      `WebGPU tests need a Vulkan driver: Debian's chromium ships SwiftShader at ${SWIFTSHADER_ICD} (apt-get install chromium); ` +
        'VATT_TEST_WEBGPU=0 leaves them out',
    );
  }
  return present;
}

export async function useBackend(name: TestBackend): Promise<void> {
  if (name === 'webgpu') await registerWebGpu();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** Backends the default run covers: cpu and wasm always; webgpu where a Vulkan driver is present. */
export function testBackends(opts: { webgpu?: boolean } = {}): TestBackend[] {
  const list: TestBackend[] = ['cpu', 'wasm'];
  if (opts.webgpu && webgpuAvailable()) list.push('webgpu');
  return list;
}

/** Runs `body` once per backend inside a describe block that switches tfjs to it. */
export function forEachBackend(backends: TestBackend[], body: (backend: TestBackend) => void): void {
  for (const backend of backends) {
    describe(`on ${backend}`, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      body(backend);
    });
  }
}

/** Max abs difference between two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts `fn` leaves tf.memory().numTensors unchanged after a warm-up call. */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>, repeats = 3): Promise<void> {
  await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) await fn();
  expect(tf.memory().numTensors).toBe(before);
}
