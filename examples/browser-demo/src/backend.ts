/**
 * Backend choice for the page: WebGPU first, then wasm (its .wasm binaries are bundled as assets by
 * Vite and handed to setWasmPaths), then plain JS (cpu). `?backend=wasm` (or webgpu, cpu) asks for one.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKEND_ORDER = ['webgpu', 'wasm', 'cpu'] as const;
export type PageBackend = (typeof BACKEND_ORDER)[number];

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/** Activates the first backend of `order` that starts; returns its name and why others were skipped. */
export async function chooseBackend(order: readonly PageBackend[]): Promise<{ name: PageBackend; skipped: string[] }> {
  const skipped: string[] = [];
  for (const name of order) {
    try {
      if (name === 'webgpu' && !('gpu' in navigator)) throw new Error('navigator.gpu is missing');
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name, skipped };
      }
      skipped.push(`${name}: did not start`);
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend started (${skipped.join('; ')})`);
}
