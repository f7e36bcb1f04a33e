/**
 * Batched encoding of raw media with progress callbacks: the building block of retrieval, `vatt embed`
 * and the linear probes. Results are plain Float32Arrays (row-major [n, dim]) so nothing stays on the
 * backend between batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { VattPreprocessor } from './preprocess.js';
import type { VATT } from './vatt.js';

/** Batching and progress for `encodeVideo` / `encodeAudio` / `encodeText`. */
export interface EncodeOptions {
  /** Items per forward pass (default 16). */
  batchSize?: number;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A row-major matrix. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Video [AGG] features and S_va / S_vt embeddings, one row per clip. */
export interface EncodedVideo {
  features: Matrix;
  va: Matrix;
  vt: Matrix;
}
/** Audio [AGG] features and S_va embeddings, one row per waveform. */
export interface EncodedAudio {
  features: Matrix;
  va: Matrix;
}
/** Text [AGG] features and S_vt embeddings, one row per caption. */
export interface EncodedText {
  features: Matrix;
  vt: Matrix;
}

/**
 * Runs `run` over `items` in batches of `opts.batchSize` (default 16), reports progress after each, and
 * stacks each named matrix of the batches into one (the batching of every encoder, either engine).
 */
export async function encodeInBatches<T, K extends string>(
  items: readonly T[],
  opts: EncodeOptions,
  run: (batch: readonly T[]) => Promise<Record<K, Matrix>>,
): Promise<Record<K, Matrix>> {
  const bs = opts.batchSize ?? 16;
  if (!(bs >= 1)) throw new Error(`encode: batchSize must be >= 1, got ${bs}`);
  if (!items.length) throw new Error('encode: nothing to encode');
  const parts: Array<Record<K, Matrix>> = [];
  for (let i = 0; i < items.length; i += bs) {
    parts.push(await run(items.slice(i, i + bs)));
    opts.onProgress?.(Math.min(items.length, i + bs), items.length);
  }
  const result = {} as Record<K, Matrix>;
  for (const k of Object.keys(parts[0]) as K[]) {
    const cols = parts[0][k].cols;
    const data = new Float32Array(items.length * cols);
    let off = 0;
    for (const p of parts) {
      data.set(p[k].data, off);
      off += p[k].data.length;
    }
    result[k] = { data, rows: items.length, cols };
  }
  return result;
}

/** `encodeInBatches` over a tfjs forward pass: each batch's tensors are downloaded and disposed. */
function encodeBatched<T, K extends string>(
  items: readonly T[],
  opts: EncodeOptions,
  run: (batch: readonly T[]) => Record<K, tf.Tensor2D>,
): Promise<Record<K, Matrix>> {
  return encodeInBatches(items, opts, async (batch) => {
    const out = run(batch);
    const result = {} as Record<K, Matrix>;
    try {
      for (const [k, t] of Object.entries(out) as Array<[K, tf.Tensor2D]>)
        result[k] = { data: (await t.data()) as Float32Array, rows: t.shape[0], cols: t.shape[1] };
    } finally {
      for (const t of Object.values(out) as tf.Tensor2D[]) t.dispose();
    }
    return result;
  });
}

function evalMode<T>(model: VATT, fn: () => Promise<T>): Promise<T> {
  const was = model.training;
  model.eval();
  return fn().finally(() => model.train(was));
}

/** Clips [T,H,W,3] (uint8, or float in [0, 1]) -> [AGG] features, S_va and S_vt embeddings (eval mode: no dropout, no DropToken). */
export function encodeVideo(
  model: VATT,
  pre: VattPreprocessor,
  clips: ReadonlyArray<Uint8Array | Float32Array>,
  opts: EncodeOptions = {},
): Promise<EncodedVideo> {
  return evalMode(model, () =>
    encodeBatched(clips, opts, (batch) => {
      const { patches, grid } = pre.videoPatches(batch);
      const e = model.embedVideo(patches, grid);
      patches.dispose();
      return { features: e.features, va: e.va, vt: e.vt };
    }),
  );
}

/** Mono waveforms -> [AGG] features and S_va embeddings. */
export function encodeAudio(model: VATT, pre: VattPreprocessor, waves: readonly Float32Array[], opts: EncodeOptions = {}): Promise<EncodedAudio> {
  return evalMode(model, () =>
    encodeBatched(waves, opts, (batch) => {
      const patches = pre.audioPatches(batch);
      const e = model.embedAudio(patches);
      patches.dispose();
      return { features: e.features, va: e.va };
    }),
  );
}

/**
 * Mono waveforms -> [AGG] features, S_va, and S_vt through the video's S_va -> S_vt map (`FacHead.vaToVt`,
 * for text-to-audio search), each batch in one forward pass.
 */
export function encodeAudioWithVt(
  model: VATT,
  pre: VattPreprocessor,
  waves: readonly Float32Array[],
  opts: EncodeOptions = {},
): Promise<EncodedAudio & { vt: Matrix }> {
  return evalMode(model, () =>
    encodeBatched(waves, opts, (batch) => {
      const patches = pre.audioPatches(batch);
      const e = model.embedAudio(patches);
      patches.dispose();
      return { features: e.features, va: e.va, vt: model.head.vaToVt(e.va) as tf.Tensor2D };
    }),
  );
}

/** Captions -> [AGG] features and S_vt embeddings. */
export function encodeText(model: VATT, pre: VattPreprocessor, captions: readonly string[], opts: EncodeOptions = {}): Promise<EncodedText> {
  return evalMode(model, () =>
    encodeBatched(captions, opts, (batch) => {
      const ids = pre.textIds(batch);
      const e = model.embedText(ids);
      ids.dispose();
      return { features: e.features, vt: e.vt };
    }),
  );
}

/** L2-normalises each row in place (eps-safe) and returns the matrix. */
export function l2NormalizeRows(m: Matrix): Matrix {
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += m.data[r * m.cols + c] ** 2;
    const inv = 1 / Math.sqrt(Math.max(s, 1e-12));
    for (let c = 0; c < m.cols; c++) m.data[r * m.cols + c] *= inv;
  }
  return m;
}

/** Cosine-similarity matrix [a.rows, b.rows] of two row sets (both L2-normalised on copies). */
export function similarity(a: Matrix, b: Matrix): Float32Array {
  if (a.cols !== b.cols) throw new Error(`similarity: dimension mismatch ${a.cols} vs ${b.cols}`);
  const an = l2NormalizeRows({ ...a, data: Float32Array.from(a.data) });
  const bn = l2NormalizeRows({ ...b, data: Float32Array.from(b.data) });
  const out = new Float32Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let c = 0; c < a.cols; c++) s += an.data[i * a.cols + c] * bn.data[j * a.cols + c];
      out[i * b.rows + j] = s;
    }
  }
  return out;
}
