import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { expectNoLeak, forEachBackend, testBackends, useBackend } from '@vatt-testing/backends';
import { getPreset } from '../config/index.js';
import { VATT, type PretrainBatch } from './vatt.js';

function tinyBatch(model: VATT, b = 3, k = 2): PretrainBatch {
  const v = model.config.video.input;
  const n = v.buckets[0] * v.buckets[1] * v.buckets[2];
  const p = v.patchSize[0] * v.patchSize[1] * v.patchSize[2] * 3;
  const a = model.config.audio.input as { buckets: number; patchSize: number };
  const vocab = model.config.text.input.vocabSize;
  const ids = tf.tidy(() => {
    const r = tf.randomUniform([b * k, 6], 1, vocab, 'int32', 3);
    // pad the tail of every caption (id 0)
    return tf.concat([r, tf.zeros([b * k, 2], 'int32')], 1) as tf.Tensor2D;
  });
  return {
    videoPatches: tf.randomUniform([b, n, p], -1, 1, 'float32', 1) as tf.Tensor3D,
    videoGrid: [v.buckets[0], v.buckets[1], v.buckets[2]],
    audioPatches: tf.randomNormal([b, a.buckets, a.patchSize], 0, 0.3, 'float32', 2) as tf.Tensor3D,
    textIds: ids,
  };
}

const disposeBatch = (x: PretrainBatch) => tf.dispose([x.videoPatches, x.audioPatches, x.textIds]);

describe('VATT parameter names follow the official checkpoint layout', () => {
  beforeAll(() => useBackend('cpu'));
  test('modality-specific towers, FAC head', () => {
    random.setSeed(0);
    const m = new VATT(getPreset('tiny').model);
    const names = m.namedParameters().map(([n]) => n);
    for (const expected of [
      'video/voxel_to_patch/kernel',
      'video/agg_embedding',
      'video/pos_embedding_lookup/temporal_position_embeddings/embeddings',
      'video/tx/layers/1/mha/q/kernel',
      'video/tx/final_layer_norm/gamma',
      'audio/wave_to_patch/kernel',
      'text/embedding/embeddings',
      'text/base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings',
      'head/vid_to_hid/kernel',
      'head/hid_to_va/pre_bn/moving_mean',
      'head/hid_to_va/dense/kernel',
      'head/va_to_vat/bn/gamma',
      'head/aud_to_va/bias',
      'head/txt_to_vat/kernel',
    ]) {
      expect(names).toContain(expected);
    }
    expect(new Set(names).size).toBe(names.length);
    m.dispose();
  });

  test('modality-agnostic: one shared encoder `tx`, per-modality projections', () => {
    random.setSeed(0);
    const m = new VATT(getPreset('tiny-ma').model);
    const names = m.namedParameters().map(([n]) => n);
    expect(names).toContain('tx/layers/0/mha/q/kernel');
    expect(names.some((n) => n.startsWith('video/tx/'))).toBe(false);
    for (const mod of ['video', 'audio', 'text']) {
      expect(names).toContain(`${mod}/pre_proj/kernel`);
      expect(names).toContain(`${mod}/post_proj/kernel`);
      expect(names).toContain(`${mod}/agg_embedding`);
    }
    m.dispose();
  });
});

forEachBackend(testBackends(), (backend) => {
  for (const variant of ['tiny', 'tiny-ma'] as const) {
    test(`${variant}: embeddings have the space sizes and every trainable weight gets a gradient (${backend})`, async () => {
      random.setSeed(1);
      const model = new VATT(getPreset(variant).model);
      const batch = tinyBatch(model);
      model.eval();
      const v = model.embedVideo(batch.videoPatches, batch.videoGrid);
      expect(v.va.shape).toEqual([3, model.config.head.dVa]);
      expect(v.vt.shape).toEqual([3, model.config.head.dVt]);
      tf.dispose([v.features, v.va, v.vt]);
      model.train();
      const vars = model.trainableVariables();
      const { value, grads } = tf.variableGrads(() => model.pretrainLoss(batch).total, vars);
      const names = model.namedTrainableParameters();
      const missing: string[] = [];
      for (const [n, variable] of names) {
        const g = grads[variable.name];
        if (!g || (await tf.any(tf.notEqual(g, 0)).data())[0] === 0) missing.push(n);
      }
      expect(missing).toEqual([]);
      expect(Number.isFinite((await value.data())[0])).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      disposeBatch(batch);
      model.dispose();
    });
  }

  test(`a training forward + backward leaks no tensor (${backend})`, async () => {
    random.setSeed(2);
    const model = new VATT(getPreset('tiny').model).train();
    const batch = tinyBatch(model);
    const vars = model.trainableVariables();
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => model.pretrainLoss(batch).total, vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
    disposeBatch(batch);
    model.dispose();
  });
});

test('a batch whose captions do not divide into clips is rejected', async () => {
  await useBackend('cpu');
  random.setSeed(0);
  const model = new VATT(getPreset('tiny').model);
  const batch = tinyBatch(model, 3, 2);
  const bad = { ...batch, textIds: tf.slice(batch.textIds, [0, 0], [5, 8]) as tf.Tensor2D };
  expect(() => model.pretrainLoss(bad)).toThrow(/textIds has 5 rows, expected B\*K with B = 3/);
  bad.textIds.dispose();
  disposeBatch(batch);
  model.dispose();
});

describe('activation checkpointing of the Transformer layers', () => {
  beforeAll(() => useBackend('wasm'));
  test('gives the same pretraining loss and gradients (dropout and DropToken on), for both variants', async () => {
    for (const preset of ['tiny', 'tiny-ma'] as const) {
      const grads = async (checkpoint: boolean) => {
        random.setSeed(31);
        const m = new VATT(getPreset(preset).model).train();
        const switched = m.setCheckpointing(checkpoint);
        expect(switched).toBe(preset === 'tiny' ? 3 : 1); // video, audio and T5 text, or the shared encoder
        const batch = tinyBatch(m);
        random.setSeed(32);
        const { value, grads: g } = tf.variableGrads(() => m.pretrainLoss(batch).total, m.trainableVariables());
        const out = { loss: (await value.data())[0], grads: await Promise.all(m.trainableVariables().map((v) => g[v.name].data())) };
        tf.dispose([value, ...Object.values(g)]);
        disposeBatch(batch);
        m.dispose();
        return out;
      };
      const plain = await grads(false);
      const ckpt = await grads(true);
      expect(Math.abs(ckpt.loss - plain.loss)).toBeLessThan(1e-5);
      let worst = 0;
      plain.grads.forEach((a, i) => {
        const scale = Math.max(1e-3, ...Array.from(a, Math.abs));
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - ckpt.grads[i][j]) / scale);
      });
      expect(worst).toBeLessThan(1e-4);
    }
  });
});
