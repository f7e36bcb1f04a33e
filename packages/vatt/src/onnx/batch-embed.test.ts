/**
 * @jest-environment ../transformer/src/onnx/ort-test-environment.cjs
 */
/**
 * Batch embedding through the API on clips in memory (no media decoding): a run stopped by its signal after
 * the first part resumes to the same index as an uninterrupted one; the index reads back and searches
 * (text -> video, video -> video, text -> audio), with both engines agreeing.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Clip } from '../data/clips.js';
import type { Matrix } from '../model/encode.js';
import { EmbedInterrupted, embedDataset, readEmbeddingIndex } from './batch-embed.js';
import { TfjsEmbedder } from './embedder.js';
import { exportOnnx, openOnnxEmbedder } from './node.js';
import { searchIndex } from './search.js';
import { maxDiff, randomLoaded, randomMedia } from './test-helpers.js';

/** Rows of `m` kept by `keep`, by the cosine of each with `q` (computed here, plainly), best first: the expected ranking. */
function cosineRanking(ids: readonly string[], q: ArrayLike<number>, m: Matrix, keep: (r: number) => boolean = () => true) {
  const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
  const ranked: Array<{ id: string; score: number }> = [];
  for (let r = 0; r < m.rows; r++) {
    if (!keep(r)) continue;
    const row = m.data.subarray(r * m.cols, (r + 1) * m.cols);
    let dot = 0;
    for (let c = 0; c < m.cols; c++) dot += q[c] * row[c];
    ranked.push({ id: ids[r], score: dot / (norm(q) * norm(row)) });
  }
  return ranked.sort((a, b) => b.score - a.score);
}

/** `hits` are `expected` (ids in order, scores to 1e-5). */
function expectHits(hits: ReadonlyArray<{ rank: number; score: number; entry: { id: string } }>, expected: ReadonlyArray<{ id: string; score: number }>) {
  expect(hits.map((h) => h.rank)).toEqual(expected.map((_, i) => i + 1));
  expect(hits.map((h) => h.entry.id)).toEqual(expected.map((e) => e.id));
  expect(
    maxDiff(
      hits.map((h) => h.score),
      expected.map((e) => e.score),
    ),
  ).toBeLessThanOrEqual(1e-5);
}

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-batch-embed-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('embedDataset streams parts, resumes after a stop, and the index searches like the embeddings say', async () => {
  const loaded = randomLoaded('tiny');
  const tensorsBefore = tf.memory().numTensors;
  const onnxDir = path.join(tmp, 'onnx');
  await exportOnnx(loaded, onnxDir);
  const onnx = await openOnnxEmbedder(onnxDir);
  const { clips: frames, waves } = randomMedia(loaded.preprocessing, 20, 5);
  // Clip 13 has no sound and clip 17 no caption: their rows are zeros, flagged in ids.json.
  const clips: Clip[] = frames.map((video, i) => ({
    id: `clip-${i}`,
    video,
    audio: i === 13 ? new Float32Array(0) : waves[i],
    captions: i === 17 ? [] : [`w${i} w${i + 1} w${2 * i}`],
  }));
  const source = { clips, name: 'random-clips' };
  const opts = { modelSource: onnxDir, chunkSize: 8, batchSize: 3 };

  const full = path.join(tmp, 'full');
  const progress: number[] = [];
  const info = await embedDataset(onnx, source, full, { ...opts, onProgress: (p) => progress.push(p.done) });
  expect(progress).toEqual([8, 16, 20]);
  expect(info).toMatchObject({ format: 'vatt-embeddings/1', count: 20, source: { spec: 'random-clips', kind: 'in-memory' }, model: { engine: 'onnx' } });
  expect(info.files).toEqual({
    video_features: [20, 64],
    video_va: [20, 128],
    video_vt: [20, 64],
    audio_features: [20, 64],
    audio_va: [20, 128],
    audio_vt: [20, 64],
    text_features: [20, 64],
    text_vt: [20, 64],
  });

  const cut = path.join(tmp, 'cut');
  const controller = new AbortController();
  const stopped = embedDataset(onnx, source, cut, { ...opts, signal: controller.signal, onProgress: () => controller.abort() });
  await expect(stopped).rejects.toThrow(EmbedInterrupted);
  await expect(stopped).rejects.toThrow(/stopped after 8 of 20 samples; run it again to continue/);
  await expect(readEmbeddingIndex(cut)).rejects.toThrow(/unfinished run/);
  await expect(embedDataset(onnx, { ...source, name: 'other' }, cut, opts)).rejects.toThrow(
    /unfinished embedding of another run \(source: random-clips -> other\)/,
  );
  const resumed: Array<[number, number]> = [];
  await embedDataset(onnx, source, cut, { ...opts, onProgress: (p) => resumed.push([p.done, p.resumed]) });
  expect(resumed).toEqual([
    [8, 8],
    [16, 8],
    [20, 8],
  ]);
  for (const f of Object.keys(info.files)) expect(readFileSync(path.join(cut, `${f}.npy`)).equals(readFileSync(path.join(full, `${f}.npy`)))).toBe(true);

  const index = await readEmbeddingIndex(full);
  expect(index.entries.map((e) => e.id)).toEqual(clips.map((c) => c.id));
  expect(index.entries[13]).toMatchObject({ hasAudio: false, caption: 'w13 w14 w26' });
  expect(index.entries[17].caption).toBeUndefined();
  const row = (key: 'audio_va' | 'text_vt', r: number) =>
    Array.from(index.matrices[key]!.data.subarray(r * index.matrices[key]!.cols, (r + 1) * index.matrices[key]!.cols));
  expect(row('audio_va', 13).every((x) => x === 0)).toBe(true);
  expect(row('text_vt', 17).every((x) => x === 0)).toBe(true);

  // The rows are the embeddings of the other engine too (within float32 rounding).
  const tfjs = new TfjsEmbedder(loaded, { ownsModel: false });
  const v = await tfjs.encodeVideo(clips.map((c) => c.video));
  expect(maxDiff(v.vt.data, index.matrices.video_vt!.data)).toBeLessThanOrEqual(1e-4);
  const ids = index.entries.map((e) => e.id);
  // Each search ranks as the cosines of its query with the index rows say.
  const hits = await searchIndex(index, tfjs, { text: 'w3 w4 w6' }, { top: 5 });
  const query = (await tfjs.encodeText(['w3 w4 w6'])).vt.data;
  expectHits(hits, cosineRanking(ids, query, index.matrices.video_vt!).slice(0, 5));
  const like = await searchIndex(index, undefined, { like: 'clip-7' }, { top: 50 });
  expect(like).toHaveLength(19);
  const va = index.matrices.video_va!;
  expectHits(
    like,
    cosineRanking(ids, va.data.subarray(7 * va.cols, 8 * va.cols), va, (r) => r !== 7),
  );
  const audio = await searchIndex(index, onnx, { text: 'w3 w4 w6', target: 'audio' }, { top: 50 });
  expect(audio).toHaveLength(19);
  const audioQuery = (await onnx.encodeText(['w3 w4 w6'])).vt.data;
  expectHits(
    audio,
    cosineRanking(ids, audioQuery, index.matrices.audio_vt!, (r) => r !== 13),
  );
  await expect(searchIndex(index, undefined, { text: 'x' })).rejects.toThrow(/needs the model/);
  await expect(embedDataset(onnx, source, full, opts)).rejects.toThrow(/already holds a complete index/);
  await onnx.dispose();
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  loaded.model.dispose();
});
