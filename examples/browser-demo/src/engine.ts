/**
 * The page's embedding engine: the tfjs model loaded from a checkpoint (`?engine=tfjs`, the default), or an
 * exported ONNX folder on onnxruntime-web (`?engine=onnx`, folder `?onnx=<url>`, default `./onnx/`), with
 * its WebGPU execution provider where the browser has WebGPU and wasm otherwise (`?backend=webgpu|wasm`
 * asks for one). Both are `Embedder`s of `vatt/browser`, so the rest of the page does not care which.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web/webgpu';
import { loadVattFrom, OnnxEmbedder, OnnxTowers, parseOnnxManifest, TfjsEmbedder, type Embedder, type OrtModuleLike } from 'vatt/browser';
import { BACKEND_ORDER, chooseBackend, type PageBackend } from './backend.js';

export type PageEngine = 'tfjs' | 'onnx';
/** onnxruntime-web execution providers, best first. */
export const ONNX_PROVIDERS = ['webgpu', 'wasm'] as const;
export type OnnxProvider = (typeof ONNX_PROVIDERS)[number];

// onnxruntime-web finds its .wasm binary through `new URL(..., import.meta.url)`, which Vite bundles as an
// asset. Threads only where the page is cross-origin isolated (SharedArrayBuffer), else one thread.
ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;

const dirUrl = (u: string) => new URL(u.endsWith('/') ? u : `${u}/`, location.href);

/** An onnxruntime-web embedder on the exported folder at `url`, on the first provider of `order` whose sessions start. */
export async function onnxEmbedder(url: string, order: readonly OnnxProvider[]): Promise<{ embedder: Embedder; provider: OnnxProvider; skipped: string[] }> {
  const base = dirUrl(url);
  const manifestUrl = new URL('manifest.json', base).href;
  const res = await fetch(manifestUrl);
  if (!res.ok) throw new Error(`could not fetch ${manifestUrl}: HTTP ${res.status}`);
  const manifest = parseOnnxManifest(await res.json(), manifestUrl);
  const bytes = new Map<string, Promise<Uint8Array>>();
  const load = (file: string) => {
    if (!bytes.has(file)) {
      bytes.set(
        file,
        fetch(new URL(file, base).href).then(async (r) => {
          if (!r.ok) throw new Error(`could not fetch ${file}: HTTP ${r.status}`);
          return new Uint8Array(await r.arrayBuffer());
        }),
      );
    }
    return bytes.get(file)!;
  };
  const skipped: string[] = [];
  for (const provider of order) {
    try {
      if (provider === 'webgpu' && !('gpu' in navigator)) throw new Error('navigator.gpu is missing');
      const towers = new OnnxTowers(ort as unknown as OrtModuleLike, manifest, load, {
        sessionOptions: { executionProviders: [provider], graphOptimizationLevel: 'all' },
        description: `onnxruntime-web ${provider}${provider === 'wasm' ? `, ${ort.env.wasm.numThreads} thread(s)` : ''}`,
      });
      // Start every session now: a provider that cannot run the graphs fails here, not at the first query.
      for (const t of Object.keys(manifest.towers)) await towers.session(t as 'video' | 'audio' | 'text');
      return { embedder: new OnnxEmbedder(towers), provider, skipped };
    } catch (e) {
      skipped.push(`${provider}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no onnxruntime-web provider started (${skipped.join('; ')})`);
}

/** The tfjs embedder on the checkpoint directory at `url`, on the first tfjs backend of `order` that starts. */
export async function tfjsEmbedder(url: string, order: readonly PageBackend[]): Promise<{ embedder: Embedder; provider: PageBackend; skipped: string[] }> {
  const backend = await chooseBackend(order);
  const modelJson = new URL('model.json', dirUrl(url)).href;
  const vatt = await loadVattFrom<{ seed?: number }>(tf.io.browserHTTPRequest(modelJson), modelJson);
  return { embedder: new TfjsEmbedder(vatt), provider: backend.name, skipped: backend.skipped };
}

/** The engine the URL asks for (see the file comment). */
export async function pageEmbedder(params: URLSearchParams): Promise<{ engine: PageEngine; embedder: Embedder; provider: string; skipped: string[] }> {
  const engine = (params.get('engine') ?? 'tfjs') as PageEngine;
  const asked = params.get('backend');
  if (engine === 'onnx') {
    if (asked && !(ONNX_PROVIDERS as readonly string[]).includes(asked))
      throw new Error(`backend: "${asked}" is not one of ${ONNX_PROVIDERS.join(', ')} for the onnx engine`);
    return { engine, ...(await onnxEmbedder(params.get('onnx') ?? './onnx/', asked ? [asked as OnnxProvider] : ONNX_PROVIDERS)) };
  }
  if (engine !== 'tfjs') throw new Error(`engine: "${engine as string}" is not tfjs or onnx`);
  if (asked && !(BACKEND_ORDER as readonly string[]).includes(asked)) throw new Error(`backend: "${asked}" is not one of ${BACKEND_ORDER.join(', ')}`);
  return { engine, ...(await tfjsEmbedder(params.get('checkpoint') ?? './checkpoint/', asked ? [asked as PageBackend] : BACKEND_ORDER)) };
}
