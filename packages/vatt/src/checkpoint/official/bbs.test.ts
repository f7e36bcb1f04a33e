// A BBS-shaped round trip: the bbs preset's exact variables (ViT-Base, WaT-Base, T5-Small with its
// 65536 x 300 word table, the FAC head: 213.5 M parameters, 854 MB) with random weights, saved as our
// checkpoint, exported, imported, and run on a small input geometry (a 2 x 2 x 2 voxel grid, 16 audio
// patches: the positional tables are spline-resampled, docs/numerics.md §2.1) so the forward passes stay
// short. The phases are timed and printed. SLOW: ~90 s on 2 cores. Export and import take 2-5 s each;
// most of the time goes to the two forward passes (~15 s each on the tfjs CPU backend under jest, the
// positional resampling included), building the models and randomising their weights.
//
// The imported weights are read back with the streaming reader rather than `loadVatt`: under jest,
// `loadCheckpoint` of 854 MB takes ~35 s (3.7 s in plain node), and `loadVatt` reading imported
// checkpoints is covered by the tiny round trips (roundtrip.test.ts), whose directories have the same format.
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getPreset } from '../../config/index.js';
import { VattPreprocessor } from '../../model/preprocess.js';
import { VATT } from '../../model/vatt.js';
import { saveCheckpoint } from '../store.js';
import { openTfCheckpoint } from '../tf/index.js';
import { exportOfficialVatt } from './export.js';
import { importOfficialVatt } from './import.js';
import { inspectTfCheckpoint } from './inspect.js';
import { layoutVariables } from './layout.js';
import { ProjectCheckpointReader } from './project-io.js';
import { maxAbsError, randomizeWeights, tempDir, testVocab } from './test-helpers.js';

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  dir = await tempDir('bbs');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** Embeddings on a small, fixed input (patches given directly, with their grid). */
function smallEmbeddings(model: VATT, pre: VattPreprocessor): Record<string, Float32Array> {
  model.eval();
  return tf.tidy(() => {
    const v = model.embedVideo(tf.randomUniform([2, 8, 3072], -1, 1, 'float32', 1) as tf.Tensor3D, [2, 2, 2]);
    const a = model.embedAudio(tf.randomNormal([2, 16, 128], 0, 0.3, 'float32', 2) as tf.Tensor3D);
    const t = model.embedText(pre.textIds(['w4 w5 w6 w7', 'w8 unknown w9']));
    const out: Record<string, Float32Array> = {};
    for (const [k, x] of Object.entries({ vf: v.features, va: v.va, vt: v.vt, af: a.features, ava: a.va, tf: t.features, tvt: t.vt })) {
      out[k] = x.dataSync() as Float32Array;
    }
    return out;
  });
}

test('bbs: export -> import gives the same embeddings (max abs error 0)', async () => {
  const { model: config, preprocessing } = getPreset('bbs');
  const vocab = testVocab();
  const pre = new VattPreprocessor(preprocessing, vocab);
  const times: Record<string, number> = {};
  const time = async <T>(what: string, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    times[what] = +((performance.now() - t0) / 1000).toFixed(2);
    return r;
  };
  const ours = path.join(dir, 'ours');
  const prefix = path.join(dir, 'tf', 'ckpt-500000');
  const back = path.join(dir, 'back');
  const before = tf.memory().numTensors;

  random.setSeed(2);
  const original = await time('build', () => new VATT(config));
  let e0: Record<string, Float32Array>;
  try {
    expect(original.countParams()).toBe(213540652);
    randomizeWeights(original, 2);
    e0 = await time('embed original', () => smallEmbeddings(original, pre));
    await time('save', () => saveCheckpoint(ours, { modelConfig: config, preprocessing, vocab, weights: original.namedWeights() }));
  } finally {
    original.dispose();
  }

  const e = await time('export', () => exportOfficialVatt(ours, prefix));
  expect(e.dataBytes).toBeGreaterThan(213540652 * 4);
  const reader = await openTfCheckpoint(prefix);
  const V = 'model/layer_with_weights-0/_base_layer/vid_backbone/_base';
  expect(reader.entry(`${V}/voxel_to_patch/kernel/.ATTRIBUTES/VARIABLE_VALUE`).shape).toEqual([4, 16, 16, 3, 768]);
  expect(reader.entry('model/layer_with_weights-0/_base_layer/aud_backbone/_base/wave_to_patch/kernel/.ATTRIBUTES/VARIABLE_VALUE').shape).toEqual([
    128, 1, 768,
  ]);
  expect(reader.entry('model/layer_with_weights-0/_base_layer/txt_backbone/embedding/embeddings/.ATTRIBUTES/VARIABLE_VALUE').shape).toEqual([65536, 300]);
  const layout = await reader.layout();
  await reader.close();
  if (!layout.hasObjectGraph) throw new Error('no object graph');
  const official = layoutVariables({ family: 'modality-specific', config }).map((v) => v.official);
  expect(
    layout.variables
      .map((v) => v.path)
      .filter((p) => p.startsWith('model/'))
      .sort(),
  ).toEqual([...official].sort());

  const inspected = await time('inspect', () => inspectTfCheckpoint(prefix));
  expect(inspected).toMatchObject({ preset: 'bbs', matches: true });

  const r = await time('import', () => importOfficialVatt(prefix, { preset: 'bbs', out: back }));
  expect(r.tensors).toBe(official.length);
  expect(tf.memory().numTensors).toBe(before);

  random.setSeed(9);
  const imported = await time('build imported', () => new VATT(config));
  try {
    await time('read imported', async () => {
      const rd = await ProjectCheckpointReader.open(back);
      expect(rd.meta.vocab).toEqual(vocab);
      const params = new Map(imported.namedParameters());
      expect(rd.specs.map((s) => s.name).sort()).toEqual([...params.keys()].sort());
      for await (const { weight, bytes } of rd.weights()) {
        const t = tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), weight.shape);
        params.get(weight.name)!.assign(t);
        t.dispose();
      }
    });
    const e1 = await time('embed imported', () => smallEmbeddings(imported, pre));
    expect(maxAbsError(e0, e1)).toBe(0);
  } finally {
    imported.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  console.log(
    `bbs round trip (${(r.bytes / 1e6).toFixed(0)} MB): seconds per phase ${JSON.stringify(times)}; import ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s`,
  );
}, 600_000);
