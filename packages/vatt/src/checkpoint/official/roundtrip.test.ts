// export -> import round trips on the tiny presets and the classifiers: the same embeddings (max abs
// error 0), the official object graph (reader.layout()), the optimizer state as Keras slots, inspection.
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getPreset, type PresetName } from '../../config/index.js';
import { VideoClassifier, AudioClassifier } from '../../finetune/classifier.js';
import { loadClassifier } from '../../finetune/finetune.js';
import { loadCheckpoint, saveCheckpoint } from '../store.js';
import { openTfCheckpoint } from '../tf/index.js';
import { exportOfficialVatt } from './export.js';
import { importOfficialVatt } from './import.js';
import { inspectTfCheckpoint } from './inspect.js';
import { layoutVariables, variableKey } from './layout.js';
import { checkpointEmbeddings, maxAbsError, randomizeWeights, saveRandomVatt, tempDir } from './test-helpers.js';
import { VATT } from '../../model/vatt.js';

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  dir = await tempDir('roundtrip');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe.each(['tiny', 'tiny-ma', 'tiny-spt'] as PresetName[])('preset %s', (name) => {
  const { model: config, preprocessing } = getPreset(name);
  const ours = () => path.join(dir, name, 'ours');
  const prefix = () => path.join(dir, name, 'official', 'ckpt-7');
  const back = () => path.join(dir, name, 'back');

  beforeAll(async () => {
    await saveRandomVatt(ours(), config, preprocessing, { seed: 3, step: 7 });
  });

  test('export writes the official layout; its object graph walks to the official keys', async () => {
    const before = tf.memory().numTensors;
    const r = await exportOfficialVatt(ours(), prefix());
    expect(tf.memory().numTensors).toBe(before);
    const vars = layoutVariables({ family: config.variant, config });
    const trainable = vars.filter((v) => v.trainable);
    expect(r).toMatchObject({ family: config.variant, step: 7, slots: 2 * trainable.length, vocabFile: `${prefix()}.vocab.txt` });
    expect(r.dropped.map((d) => d.name).sort()).toEqual(['optimizer/acc_beta1', 'optimizer/acc_beta2']);

    const reader = await openTfCheckpoint(prefix());
    try {
      const layout = await reader.layout();
      if (!layout.hasObjectGraph) throw new Error('no object graph');
      expect(layout.missingKeys).toEqual([]);
      expect(layout.unreferencedKeys).toEqual([]);
      const walked = new Map(layout.variables.map((v) => [v.path, v]));
      for (const v of vars) {
        const w = walked.get(v.official);
        expect({ path: v.official, key: w?.checkpointKey }).toEqual({ path: v.official, key: variableKey(v.official) });
        expect(reader.entry(v.key).shape).toEqual(v.officialShape);
        const slots = (w?.slots ?? []).map((s) => [s.slotName, s.optimizerPath, s.checkpointKey]);
        expect(slots).toEqual(
          v.trainable ? (['m', 'v'] as const).map((s) => [s, 'optimizer', `${v.official}/.OPTIMIZER_SLOT/optimizer/${s}/.ATTRIBUTES/VARIABLE_VALUE`]) : [],
        );
      }
      const iter = await reader.readTensor('optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE');
      expect([iter.dtype, Array.from(iter.data as BigInt64Array)]).toEqual(['int64', [7n]]);
      expect(Array.from((await reader.readTensor('optimizer/beta_2/.ATTRIBUTES/VARIABLE_VALUE')).data as Float32Array)).toEqual([Math.fround(0.999)]);
      expect(walked.has('save_counter')).toBe(true);
      // Slots hold our m / v values, in the official shape.
      const kernel = vars.find((v) => v.ours.endsWith('voxel_to_patch/kernel'))!;
      const m = await reader.readTensor(`${kernel.official}/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE`);
      const saved = await loadCheckpoint(ours());
      try {
        expect(Array.from(m.data as Float32Array)).toEqual(Array.from(saved.optimizer![`m/${kernel.ours}`].dataSync()));
      } finally {
        tf.dispose([...Object.values(saved.weights), ...Object.values(saved.optimizer ?? {})]);
      }
    } finally {
      await reader.close();
    }
  });

  test('import gives the same weights and the same embeddings (max abs error 0)', async () => {
    const before = tf.memory().numTensors;
    const r = await importOfficialVatt(prefix(), { preset: name, out: back() });
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toMatchObject({ preset: name, family: config.variant, vocabSize: 40 });
    // The test vocabulary is smaller than the table, which the import says.
    expect(r.notes).toEqual([
      `the vocabulary has 40 words for a ${config.text.input.vocabSize}-row word table: rows 40..${config.text.input.vocabSize - 1} are never used`,
    ]);
    expect(r.skipped.map((s) => s.official).sort()).toEqual(['optimizer/beta_1', 'optimizer/beta_2', 'optimizer/decay', 'optimizer/iter', 'save_counter']);
    const [a, b] = [await loadCheckpoint(ours()), await loadCheckpoint(back())];
    try {
      expect(Object.keys(b.weights).sort()).toEqual(Object.keys(a.weights).sort());
      for (const k of Object.keys(a.weights)) expect(b.weights[k].dataSync()).toEqual(a.weights[k].dataSync());
      expect([b.modelConfig, b.preprocessing, b.vocab, b.optimizer, b.training]).toEqual([a.modelConfig, a.preprocessing, a.vocab, undefined, undefined]);
    } finally {
      tf.dispose([a, b].flatMap((c) => [...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]));
    }
    const e0 = await checkpointEmbeddings(ours());
    const e1 = await checkpointEmbeddings(back());
    expect(maxAbsError(e0, e1)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('inspect lists every tensor with its mapping and recognises the preset', async () => {
    const r = await inspectTfCheckpoint(prefix());
    expect(r).toMatchObject({ family: config.variant, preset: name, presetGuessed: true, matches: true, missing: [], problems: [] });
    const vars = layoutVariables({ family: config.variant, config });
    const weights = r.tensors.filter((t) => t.role === 'weight');
    expect(weights.map((t) => [t.path, t.ours, t.ourShape]).sort()).toEqual(vars.map((v) => [v.official, v.ours, v.shape]).sort());
    const reader = await openTfCheckpoint(prefix());
    expect(r.tensors.map((t) => t.key).sort()).toEqual(reader.keys().sort());
    await reader.close();
    expect(r.totals.unmapped).toBe(0);
    expect(new Set(r.tensors.map((t) => t.role))).toEqual(new Set(['weight', 'slot', 'optimizer', 'checkpoint', 'object-graph']));
  });
});

describe('classifiers', () => {
  test.each(['video', 'audio'] as const)('%s classifier on tiny-ma: export, import (classes from the checkpoint), same logits', async (kind) => {
    const { model: config, preprocessing } = getPreset('tiny-ma');
    random.setSeed(5);
    const vatt = new VATT(config);
    const clf = kind === 'video' ? VideoClassifier.fromVatt(vatt, { numClasses: 6 }) : AudioClassifier.fromVatt(vatt, { numClasses: 6 });
    vatt.dispose();
    randomizeWeights(clf, 11);
    const ours = path.join(dir, `clf-${kind}`);
    await saveCheckpoint(ours, { modelConfig: clf.config, preprocessing, weights: clf.namedWeights() });
    const prefix = path.join(dir, `clf-${kind}-tf`, 'ckpt-1');
    const e = await exportOfficialVatt(ours, prefix);
    expect(e).toMatchObject({ family: `${kind}-classifier`, slots: 0, step: 0 });
    expect(e.vocabFile).toBeUndefined();
    const reader = await openTfCheckpoint(prefix);
    expect(reader.entry('model/layer_with_weights-0/_ops/cls/kernel/.ATTRIBUTES/VARIABLE_VALUE').shape).toEqual([64, 6]);
    expect(reader.has('optimizer/momentum/.ATTRIBUTES/VARIABLE_VALUE')).toBe(true);
    await reader.close();

    const inspected = await inspectTfCheckpoint(prefix);
    expect(inspected).toMatchObject({ family: `${kind}-classifier`, preset: `${kind} classifier on tiny-ma`, presetGuessed: true, matches: true });
    await expect(importOfficialVatt(prefix, { preset: 'tiny-ma', out: path.join(dir, 'never') })).rejects.toThrow(
      new RegExp(`is a fine-tuned .* checkpoint, but preset tiny-ma is a modality-agnostic .*; use --classifier ${kind} --preset tiny-ma$`),
    );

    const back = path.join(dir, `clf-${kind}-back`);
    // The classifier's input geometry is the tiny-ma preprocessing's (the preset's own is the default).
    const r = await importOfficialVatt(prefix, { preset: { classifier: kind, preset: 'tiny-ma' }, out: back });
    expect(r).toMatchObject({ family: `${kind}-classifier`, preset: `${kind} classifier on tiny-ma` });
    const loaded = await loadClassifier(back);
    try {
      expect(loaded.classifier.config).toEqual(clf.config);
      const before = tf.memory().numTensors;
      const [a, b] = tf.tidy(() => {
        if (kind === 'video') {
          const v = preprocessing.video;
          const grid = [v.frames / v.patchSize[0], v.height / v.patchSize[1], v.width / v.patchSize[2]];
          const x = tf.randomNormal([2, grid[0] * grid[1] * grid[2], v.patchSize[0] * v.patchSize[1] * v.patchSize[2] * 3], 0, 1, 'float32', 3) as tf.Tensor3D;
          return [(clf as VideoClassifier).apply(x, grid), (loaded.classifier as VideoClassifier).apply(x, grid)];
        }
        const x = tf.randomNormal([2, preprocessing.audio.samples / 128, 128], 0, 1, 'float32', 3) as tf.Tensor3D;
        return [(clf as AudioClassifier).apply(x), (loaded.classifier as AudioClassifier).apply(x)];
      });
      expect(b.dataSync()).toEqual(a.dataSync());
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      loaded.classifier.dispose();
      clf.dispose();
    }
  });
});
