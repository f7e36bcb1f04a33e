/**
 * @jest-environment ../transformer/src/onnx/ort-test-environment.cjs
 */
/**
 * VATT towers exported to ONNX against the tfjs model on onnxruntime-node: every variant (modality-specific,
 * modality-agnostic, spectrogram audio, paper-style head, custom sizes), every output (features, S_va, S_vt),
 * batch sizes 1 and 3 through one session, captions with padding (and an empty one); then the `Embedder`
 * API on raw media with both engines, the folder written by `exportOnnx`, and onnx.checker on it.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { PresetName } from '../config/presets.js';
import type { Matrix } from '../model/encode.js';
import type { LoadedVatt } from '../model/from-checkpoint.js';
import { OnnxEmbedder, TfjsEmbedder } from './embedder.js';
import { exportTowerBytes } from './export-models.js';
import { MANIFEST_FILE } from './manifest.js';
import { exportOnnx, isOnnxFolder, openEmbedder, openOnnxEmbedder } from './node.js';
import { maxDiff, onnxCheck, pythonOnnxAvailable, randomLoaded, randomMedia } from './test-helpers.js';

const TOL = 1e-4;
const measured: string[] = [];
let tmp: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-onnx-export-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`max abs error per tower output, ONNX (onnxruntime-node) vs tfjs cpu:\n${measured.join('\n')}`);
});

const CAPTIONS = ['w3 w5 w7 w9 w11 w13 w15 w17 w19', 'w1', '', 'w2 w4 w6'];

async function towerParity(label: string, loaded: LoadedVatt): Promise<Record<string, number>> {
  const { model, preprocessor: pre } = loaded;
  const towers = await exportTowerBytes(model, loaded.preprocessing);
  const errors: Record<string, number> = {};
  const note = (k: string, e: number) => (errors[k] = Math.max(errors[k] ?? 0, e));
  const sessions = Object.fromEntries(
    await Promise.all(Object.entries(towers).map(async ([t, v]) => [t, await ort.InferenceSession.create(v.bytes, { intraOpNumThreads: 2 })] as const)),
  );
  const fromOrt = (t: ort.Tensor) => t.data as Float32Array;
  const before = tf.memory().numTensors;
  for (const b of [1, 3]) {
    const { clips, waves } = randomMedia(loaded.preprocessing, b, b);
    const video = pre.videoPatchArray(clips);
    const vOut = await sessions.video.run({ patches: new ort.Tensor('float32', video.data, video.dims) });
    tf.tidy(() => {
      const e = model.embedVideo(tf.tensor3d(video.data, video.dims as [number, number, number]), towers.video!.entry.grid);
      for (const k of ['features', 'va', 'vt'] as const) note(`video.${k}`, maxDiff(e[k].dataSync(), fromOrt(vOut[k])));
    });
    const audio = pre.audioPatchArray(waves);
    const aOut = await sessions.audio.run({ patches: new ort.Tensor('float32', audio.data, audio.dims) });
    tf.tidy(() => {
      const e = model.embedAudio(tf.tensor3d(audio.data, audio.dims as [number, number, number]));
      const vt = model.head.vaToVt(e.va);
      note('audio.features', maxDiff(e.features.dataSync(), fromOrt(aOut.features)));
      note('audio.va', maxDiff(e.va.dataSync(), fromOrt(aOut.va)));
      note('audio.vt', maxDiff(vt.dataSync(), fromOrt(aOut.vt)));
    });
  }
  for (const captions of [CAPTIONS.slice(0, 1), CAPTIONS]) {
    const ids = pre.textIdArray(captions);
    const tOut = await sessions.text.run({ ids: new ort.Tensor('int32', ids.data, ids.dims) });
    tf.tidy(() => {
      const e = model.embedText(tf.tensor2d(ids.data, ids.dims as [number, number], 'int32'));
      note('text.features', maxDiff(e.features.dataSync(), fromOrt(tOut.features)));
      note('text.vt', maxDiff(e.vt.dataSync(), fromOrt(tOut.vt)));
    });
  }
  expect(tf.memory().numTensors).toBe(before);
  for (const s of Object.values(sessions)) await s.release();
  measured.push(
    `  ${label}: ${Object.entries(errors)
      .map(([k, e]) => `${k} ${e.toExponential(2)}`)
      .join(', ')}`,
  );
  return errors;
}

describe('ONNX towers match the tfjs model (onnxruntime-node, batch 1 and 3, padded captions)', () => {
  const cases: Array<[string, PresetName, string[]]> = [
    ['tiny (modality-specific, waveform audio)', 'tiny', []],
    ['tiny-ma (modality-agnostic, shared encoder)', 'tiny-ma', []],
    ['tiny-spt (spectrogram audio, bias-free)', 'tiny-spt', []],
    [
      'custom (paper-style head, 3x48 video on a 2x6x4 grid, text post-projection, bias-free audio)',
      'tiny',
      [
        'model.head.style="paper"',
        'model.video.numLayers=3',
        'model.video.dModel=48',
        'model.video.numHeads=3',
        'model.video.dFF=96',
        'preprocessing.video.height=48',
        'model.text.postProjectionDim=40',
        'model.audio.useBias=false',
      ],
    ],
  ];
  test.each(cases)('%s', async (label, preset, overrides) => {
    const loaded = randomLoaded(preset, overrides);
    const errors = await towerParity(label, loaded);
    expect(Math.max(...Object.values(errors))).toBeLessThanOrEqual(TOL);
    loaded.model.dispose();
  });
});

describe('the Embedder API and the exported folder', () => {
  test('exportOnnx writes the towers and a manifest that is enough to embed; both engines agree on raw media', async () => {
    const loaded = randomLoaded('tiny');
    const dir = path.join(tmp, 'tiny-onnx');
    const manifest = await exportOnnx(loaded, dir);
    expect(isOnnxFolder(dir)).toBe(true);
    for (const f of ['video.onnx', 'audio.onnx', 'text.onnx', MANIFEST_FILE]) expect(existsSync(path.join(dir, f))).toBe(true);
    const onDisk = JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
    expect(onDisk.format).toBe('vatt-onnx/1');
    expect(onDisk.vocab).toEqual(loaded.vocab);
    expect(onDisk.preprocessing).toEqual(loaded.preprocessing);
    expect(manifest.towers.video!.outputs.map((o) => o.name)).toEqual(['features', 'va', 'vt']);
    expect(manifest.towers.text!.inputs[0]).toEqual({ name: 'ids', dtype: 'int32', shape: ['batch', 8] });

    const tfjs = new TfjsEmbedder(loaded, { ownsModel: false });
    const onnx = await openOnnxEmbedder(dir);
    expect(onnx).toBeInstanceOf(OnnxEmbedder);
    expect(onnx.description).toMatch(/^onnxruntime-node cpu, \d+ threads?$/);
    const { clips, waves } = randomMedia(loaded.preprocessing, 5, 11);
    const floatClips = clips.map((c) => Float32Array.from(c, (v) => v / 255));
    const opts = { batchSize: 2 };
    const tensorsBefore = tf.memory().numTensors;
    const worst: Record<string, number> = {};
    const compare = (what: string, a: Record<string, Matrix>, b: Record<string, Matrix>) => {
      for (const k of Object.keys(a)) {
        expect([b[k].rows, b[k].cols]).toEqual([a[k].rows, a[k].cols]);
        worst[`${what}.${k}`] = maxDiff(a[k].data, b[k].data);
      }
    };
    compare('video', { ...(await tfjs.encodeVideo(clips, opts)) }, { ...(await onnx.encodeVideo(clips, opts)) });
    compare('video(float)', { ...(await tfjs.encodeVideo(floatClips, opts)) }, { ...(await onnx.encodeVideo(floatClips, opts)) });
    compare('audio', { ...(await tfjs.encodeAudio(waves, opts)) }, { ...(await onnx.encodeAudio(waves, opts)) });
    compare('text', { ...(await tfjs.encodeText(CAPTIONS, opts)) }, { ...(await onnx.encodeText(CAPTIONS, opts)) });
    measured.push(
      `  Embedder tfjs vs onnx on raw media: ${Object.entries(worst)
        .map(([k, e]) => `${k} ${e.toExponential(2)}`)
        .join(', ')}`,
    );
    expect(Math.max(...Object.values(worst))).toBeLessThanOrEqual(TOL);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await onnx.dispose();
    await expect(openEmbedder(dir, { engine: 'tfjs' })).rejects.toThrow(/exported ONNX folder, which holds no tfjs model: use engine onnx/);
    if (pythonOnnxAvailable()) onnxCheck(['video.onnx', 'audio.onnx', 'text.onnx'].map((f) => path.join(dir, f)));
    loaded.model.dispose();
  });
});
