// The layout table against the model: for every preset and the classifier presets, the table's
// variables are exactly the model's parameters (names, shapes, trainable), and the official keys of the
// BBS / VATT-MA / classifier layouts are the ones derived from the official code (layout.ts comment).
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { getPreset, PRESET_NAMES } from '../../config/index.js';
import { classifierFromConfig, type ClassifierConfig } from '../../finetune/classifier.js';
import { VATT } from '../../model/vatt.js';
import { detectFamily, layoutVariables, variableKey, type LayoutSource } from './layout.js';
import { CLASSIFIER_PRESET_NAMES, resolveTarget } from './targets.js';

test('every released classifier resolves', () => {
  for (const n of CLASSIFIER_PRESET_NAMES) expect(resolveTarget(n).name).toBe(n);
});

beforeAll(() => useBackend('wasm'));

/** Our parameters as the table must list them: name -> [shape, trainable]. */
function modelParams(model: { namedParameters(): Array<[string, tf.Variable]>; namedTrainableParameters(): Array<[string, tf.Variable]> }) {
  const trainable = new Set(model.namedTrainableParameters().map(([n]) => n));
  return new Map(model.namedParameters().map(([n, v]) => [n, { shape: v.shape, trainable: trainable.has(n) }]));
}

function tableParams(src: LayoutSource) {
  const vars = layoutVariables(src);
  expect(new Set(vars.map((v) => v.ours)).size).toBe(vars.length);
  expect(new Set(vars.map((v) => v.official)).size).toBe(vars.length);
  return new Map(vars.map((v) => [v.ours, { shape: v.shape, trainable: v.trainable }]));
}

describe('the table lists exactly the model parameters', () => {
  test.each(PRESET_NAMES)('preset %s', (name) => {
    const { model } = getPreset(name);
    random.setSeed(1);
    const before = tf.memory().numTensors;
    const vatt = new VATT(model);
    try {
      expect(tableParams({ family: model.variant, config: model })).toEqual(modelParams(vatt));
    } finally {
      vatt.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  // The towers at full size are covered above; one released preset and the generic ones on tiny models
  // check the classifier parts (building all 15 released classifiers would allocate ~10 GB).
  const classifiers = [
    'vit-base-k400',
    ...(['video', 'audio'] as const).flatMap((classifier) => (['tiny', 'tiny-ma'] as const).map((preset) => ({ classifier, preset, classes: 5 }))),
  ];
  test.each(classifiers)('classifier %p', (spec) => {
    const t = resolveTarget(spec);
    const clf = classifierFromConfig(t.source.config as ClassifierConfig);
    try {
      const ours = modelParams(clf);
      // The classifier module's own dropout has no weights; every weight is the tower's or the Dense's.
      expect(tableParams(t.source)).toEqual(ours);
    } finally {
      clf.dispose();
    }
  });
});

describe('official keys (derived from google-research/google-research vatt/)', () => {
  test('BBS: towers, T5, FAC head, with TensorFlow shapes', () => {
    const vars = layoutVariables({ family: 'modality-specific', config: getPreset('bbs').model });
    const by = new Map(vars.map((v) => [v.ours, v]));
    const V = 'model/layer_with_weights-0/_base_layer/vid_backbone/_base';
    const A = 'model/layer_with_weights-0/_base_layer/aud_backbone/_base';
    const T = 'model/layer_with_weights-0/_base_layer/txt_backbone';
    const H = 'model/layer_with_weights-0/_head_layer/_bridge_heads/0';
    const expected: Array<[string, string, number[]]> = [
      ['video/voxel_to_patch/kernel', `${V}/voxel_to_patch/kernel`, [4, 16, 16, 3, 768]],
      ['video/agg_embedding', `${V}/agg_embedding`, [768]],
      ['video/pos_embedding_lookup/vertical_position_embeddings/embeddings', `${V}/pos_embedding_lookup/vertical_position_embeddings/embeddings`, [14, 768]],
      ['video/pos_embedding_lookup/layernorm/gamma', `${V}/pos_embedding_lookup/layernorm/gamma`, [768]],
      ['video/tx/layers/11/mha/q/kernel', `${V}/tx/layers/11/mha/q/kernel`, [768, 768]],
      ['video/tx/layers/0/feed_forward/mlp/wi/kernel', `${V}/tx/layers/0/feed_forward/mlp/wi/kernel`, [768, 3072]],
      ['audio/wave_to_patch/kernel', `${A}/wave_to_patch/kernel`, [128, 1, 768]],
      ['audio/pos_embedding_lookup/temporal_position_embeddings/embeddings', `${A}/pos_embedding_lookup/temporal_position_embeddings/embeddings`, [1200, 768]],
      ['text/embedding/embeddings', `${T}/embedding/embeddings`, [65536, 300]],
      ['text/agg_embedding', `${T}/agg_embedding`, [300]],
      ['text/pre_proj/kernel', `${T}/pre_proj/kernel`, [300, 512]],
      [
        'text/base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings',
        `${T}/base_lm/layers/0/self_attention/attention/relative_attention_bias/embeddings`,
        [32, 8],
      ],
      ['text/base_lm/layers/5/self_attention/layer_norm/weight', `${T}/base_lm/layers/5/self_attention/layer_norm/weight`, [512]],
      ['text/base_lm/final_layer_norm/weight', `${T}/base_lm/final_layer_norm/weight`, [512]],
      ['head/vid_to_hid/kernel', `${H}/vid_to_hid/kernel`, [768, 512]],
      ['head/hid_to_va/pre_bn/moving_variance', `${H}/hid_to_va/pre_bn/moving_variance`, [512]],
      ['head/va_to_vat/dense/kernel', `${H}/va_to_vat/dense/kernel`, [512, 256]],
      ['head/aud_to_va/bias', `${H}/aud_to_va/bias`, [512]],
      ['head/txt_to_vat/kernel', `${H}/txt_to_vat/kernel`, [512, 256]],
    ];
    for (const [ours, official, shape] of expected) {
      const v = by.get(ours)!;
      expect({ ours, official: v.official, key: v.key, shape: v.officialShape }).toEqual({ ours, official, key: variableKey(official), shape });
    }
    expect(by.get('video/voxel_to_patch/kernel')!.shape).toEqual([3072, 768]);
    expect(by.get('audio/wave_to_patch/kernel')!.shape).toEqual([128, 768]);
    expect(by.get('text/embedding/embeddings')!.trainable).toBe(false);
    expect(vars.some((v) => v.ours.startsWith('text/base_lm/layers/1/self_attention/attention/relative_attention_bias'))).toBe(false);
    expect(detectFamily(vars.map((v) => v.official))).toBe('modality-specific');
  });

  test('VATT-MA: the unified_transformer dicts', () => {
    const vars = layoutVariables({ family: 'modality-agnostic', config: getPreset('ma-medium').model });
    const by = new Map(vars.map((v) => [v.ours, v]));
    const U = 'model/layer_with_weights-0/_base_layer/unified_backbone/unified_transformer';
    for (const [ours, official, shape] of [
      ['tx/layers/11/mha/o/kernel', `${U}/tx/layers/11/mha/o/kernel`, [1024, 1024]],
      ['video/voxel_to_patch/kernel', `${U}/raw_to_embeddings/video/kernel`, [4, 16, 16, 3, 1024]],
      ['audio/wave_to_patch/bias', `${U}/raw_to_embeddings/audio/bias`, [1024]],
      ['text/embedding/embeddings', `${U}/raw_to_embeddings/text/embeddings`, [65536, 300]],
      ['video/pre_proj/kernel', `${U}/pre_proj/video/kernel`, [1024, 1024]],
      ['text/pre_proj/kernel', `${U}/pre_proj/text/kernel`, [300, 1024]],
      ['audio/post_proj/bias', `${U}/post_proj/audio/bias`, [1024]],
      [
        'video/pos_embedding_lookup/horizontal_position_embeddings/embeddings',
        `${U}/pos_embedding_lookup/video/horizontal_position_embeddings/embeddings`,
        [14, 1024],
      ],
      [
        'text/pos_embedding_lookup/temporal_position_embeddings/embeddings',
        `${U}/pos_embedding_lookup/text/temporal_position_embeddings/embeddings`,
        [16, 1024],
      ],
      ['audio/pos_embedding_lookup/layernorm/beta', `${U}/pos_embedding_lookup/audio/layernorm/beta`, [1024]],
      ['video/agg_embedding', `${U}/vid_agg_embedding`, [1024]],
      ['audio/agg_embedding', `${U}/aud_agg_embedding`, [1024]],
      ['text/agg_embedding', `${U}/txt_agg_embedding`, [1024]],
      ['head/txt_to_vat/kernel', 'model/layer_with_weights-0/_head_layer/_bridge_heads/0/txt_to_vat/kernel', [1024, 256]],
    ] as Array<[string, string, number[]]>) {
      expect({ ours, official: by.get(ours)?.official, shape: by.get(ours)?.officialShape }).toEqual({ ours, official, shape });
    }
    expect(detectFamily(vars.map((v) => v.official))).toBe('modality-agnostic');
  });

  test('fine-tuned classifiers: _base and _ops/cls', () => {
    const video = layoutVariables(resolveTarget('vit-medium-ma-k400').source);
    const by = new Map(video.map((v) => [v.ours, v]));
    expect(by.get('video/voxel_to_patch/kernel')?.official).toBe('model/layer_with_weights-0/_base/voxel_to_patch/kernel');
    expect(by.get('video/post_proj/kernel')?.officialShape).toEqual([1024, 1024]);
    expect(by.get('classifier/kernel')).toMatchObject({ official: 'model/layer_with_weights-0/_ops/cls/kernel', officialShape: [1024, 400] });
    expect(detectFamily(video.map((v) => v.official))).toBe('video-classifier');
    const audio = layoutVariables(resolveTarget('wat-base-audioset').source);
    expect(audio.find((v) => v.ours === 'audio/wave_to_patch/kernel')?.official).toBe('model/layer_with_weights-0/_base/wave_to_patch/kernel');
    expect(audio.find((v) => v.ours === 'classifier/bias')?.officialShape).toEqual([527]);
    expect(detectFamily(audio.map((v) => v.official))).toBe('audio-classifier');
  });

  test('SpT: spectrum_to_patch as a Conv2D kernel, spectoral positions', () => {
    const vars = layoutVariables({ family: 'modality-specific', config: getPreset('bbs-spt').model });
    const k = vars.find((v) => v.ours === 'audio/spectrum_to_patch/kernel')!;
    expect([k.officialShape, k.shape]).toEqual([
      [16, 5, 1, 768],
      [80, 768],
    ]);
    expect(vars.some((v) => v.official.endsWith('aud_backbone/_base/pos_embedding_lookup/spectoral_position_embeddings/embeddings'))).toBe(true);
    expect(vars.some((v) => v.ours === 'audio/tx/layers/0/mha/q/bias')).toBe(false);
  });

  test('a Keras model is no VATT family', () => {
    expect(detectFamily(['layer_with_weights-0/kernel', 'optimizer/iter'])).toBeUndefined();
  });
});
