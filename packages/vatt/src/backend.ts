/**
 * Backend selection. `auto` picks, in order: tfjs-node-gpu / tfjs-node when installed (native
 * TensorFlow), WebGPU on a hardware adapter (browser `navigator.gpu`, or Dawn through the `webgpu`
 * package in Node), then wasm, then cpu. Any backend can be asked for by name; a backend that cannot
 * start throws an error saying what to install.
 */
import * as tf from '@tensorflow/tfjs-core';
import { installWasmKernels } from '@vatt/transformer';

/** A backend to ask `setupBackend` for; `auto` picks the fastest one present (see the file comment). */
export type BackendChoice = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
/** Every `BackendChoice`, for CLIs and menus. */
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** The backend `setupBackend` activated. */
export interface BackendInfo {
  /** tfjs backend name now active (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  name: string;
  /** Human-readable detail (adapter, why others were skipped). */
  detail: string;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

// Indirect dynamic import: keeps bundlers from resolving optional packages at build time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- optional packages, untyped when absent at build time
const importOptional = (spec: string): Promise<any> => import(/* webpackIgnore: true */ /* @vite-ignore */ spec);

async function tryTensorflow(): Promise<string | null> {
  if (!isNode) return null;
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
    } catch {
      /* not installed */
    }
  }
  return null;
}

/** What `vulkanDriverMissing` looks at: the environment and a file-existence test (injectable for tests). */
export interface VulkanProbe {
  env: Record<string, string | undefined>;
  platform: string;
  exists: (path: string) => boolean;
  list: (dir: string) => string[];
}

/**
 * Why Dawn would find no Vulkan driver on Linux (no `libvulkan.so.1`, or no ICD manifest where the Vulkan
 * loader looks), or null when one may be there. Dawn reports a missing driver by printing errors and stack
 * traces from native code straight to stderr, so `auto` checks first and skips WebGPU quietly.
 */
export function vulkanDriverMissing(p: VulkanProbe): string | null {
  if (p.platform !== 'linux') return null;
  const libDirs = [
    ...(p.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
  ];
  if (!libDirs.some((d) => p.exists(`${d}/libvulkan.so.1`))) return 'no Vulkan loader (libvulkan.so.1)';
  const explicit = (p.env.VK_DRIVER_FILES ?? p.env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean);
  if (explicit.length) return explicit.some((f) => p.exists(f)) ? null : `no Vulkan driver at VK_ICD_FILENAMES=${explicit.join(':')}`;
  const dataDirs = (p.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const icdDirs = ['/etc/vulkan/icd.d', ...dataDirs.map((d) => `${d}/vulkan/icd.d`), `${p.env.HOME ?? ''}/.local/share/vulkan/icd.d`];
  return icdDirs.some((d) => p.list(d).some((n) => n.endsWith('.json')))
    ? null
    : 'no Vulkan driver (no ICD manifest in /etc/vulkan/icd.d or /usr/share/vulkan/icd.d)';
}

async function nodeVulkanProbe(): Promise<VulkanProbe> {
  const fs = await import('node:fs');
  return {
    env: process.env,
    platform: process.platform,
    exists: (f) => fs.existsSync(f),
    list: (d) => {
      try {
        return fs.readdirSync(d);
      } catch {
        return [];
      }
    },
  };
}

/** Sets up WebGPU. In Node this needs the `webgpu` package (Dawn) and a Vulkan/Metal/D3D12 driver. */
async function tryWebGpu(allowSoftware: boolean): Promise<string | null> {
  interface AdapterInfo {
    vendor?: string;
    architecture?: string;
    description?: string;
    device?: string;
    isFallbackAdapter?: boolean;
  }
  type Gpu = { requestAdapter?: () => Promise<{ isFallbackAdapter?: boolean; info?: AdapterInfo } | null> };
  const g = globalThis as unknown as { navigator?: { gpu?: Gpu } };
  if (!g.navigator?.gpu) {
    if (!isNode) return null;
    try {
      const webgpu = await importOptional('webgpu');
      Object.assign(globalThis, webgpu.globals);
      if (g.navigator) g.navigator.gpu = webgpu.create([]);
      else g.navigator = { gpu: webgpu.create([]) };
    } catch {
      return null;
    }
  }
  const adapter = await g.navigator?.gpu?.requestAdapter?.();
  if (!adapter) return null;
  const info: AdapterInfo = adapter.info ?? {};
  const software =
    adapter.isFallbackAdapter ||
    info.isFallbackAdapter ||
    /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.description} ${info.device}`);
  if (software && !allowSoftware) return null;
  await importOptional('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) return null;
  return `${info.vendor || 'unknown vendor'} ${info.architecture || ''} ${info.description || ''}${software ? ' (software)' : ''}`.replace(/\s+/g, ' ').trim();
}

async function tryWasm(): Promise<boolean> {
  try {
    await importOptional('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return false;
    installWasmKernels(); // batched matMuls on XNNPACK, no copies for Identity/Cast
    return true;
  } catch {
    return false;
  }
}

async function tryCpu(): Promise<boolean> {
  try {
    await importOptional('@tensorflow/tfjs-backend-cpu');
    return await tf.setBackend('cpu');
  } catch {
    return false;
  }
}

/** Activates a backend and returns what was chosen. */
export async function setupBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) throw new Error(`backend: unknown backend "${choice}", expected one of ${BACKEND_CHOICES.join(', ')}`);
  const fail = (what: string, install: string): never => {
    throw new Error(`backend: ${what} could not start. ${install}`);
  };
  if (choice === 'tensorflow') {
    const pkg = await tryTensorflow();
    if (!pkg) fail('tensorflow (native)', 'Install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu for CUDA) in your project.');
    await tf.ready();
    return { name: 'tensorflow', detail: pkg! };
  }
  if (choice === 'webgpu') {
    const adapter = await tryWebGpu(true);
    if (!adapter) {
      fail(
        'webgpu',
        isNode
          ? 'In Node, install the `webgpu` package (Dawn) and @tensorflow/tfjs-backend-webgpu, and a Vulkan driver (on Debian without a GPU: ' +
              '`apt-get install chromium` and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).'
          : 'This browser exposes no WebGPU adapter (navigator.gpu); try Chrome 113+ or use wasm.',
      );
    }
    await tf.ready();
    return { name: 'webgpu', detail: adapter! };
  }
  if (choice === 'wasm') {
    if (!(await tryWasm())) fail('wasm', 'Install @tensorflow/tfjs-backend-wasm 4.22.0.');
    await tf.ready();
    return { name: 'wasm', detail: 'WebAssembly (SIMD, one thread in Node)' };
  }
  if (choice === 'cpu') {
    if (!(await tryCpu())) fail('cpu', 'Install @tensorflow/tfjs-backend-cpu 4.22.0.');
    await tf.ready();
    return { name: 'cpu', detail: 'plain JavaScript' };
  }
  const skipped: string[] = [];
  const pkg = await tryTensorflow();
  if (pkg) return { name: 'tensorflow', detail: pkg };
  skipped.push('tensorflow (tfjs-node not installed)');
  const noDriver = isNode ? vulkanDriverMissing(await nodeVulkanProbe()) : null;
  const adapter = noDriver ? null : await tryWebGpu(false).catch(() => null);
  if (adapter) return { name: 'webgpu', detail: adapter };
  skipped.push(`webgpu (${noDriver ?? 'no hardware adapter'})`);
  if (await tryWasm()) return { name: 'wasm', detail: `WebAssembly; skipped ${skipped.join(', ')}` };
  skipped.push('wasm');
  if (await tryCpu()) return { name: 'cpu', detail: `plain JavaScript; skipped ${skipped.join(', ')}` };
  throw new Error('backend: no tfjs backend could start; install @tensorflow/tfjs-backend-wasm or -cpu');
}
