/**
 * @jest-environment ./src/onnx/ort-test-environment.cjs
 */
/**
 * Every export rule against its tfjs module on onnxruntime-node: random weights (biases, norms and moving
 * statistics included), several batch sizes through one session (dynamic batch), padding masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  AudioTransformer,
  BatchNorm,
  Dense,
  Embedding,
  LayerNorm,
  ModalityAgnosticText,
  Module,
  MultiHeadAttention,
  PatchProjection,
  RMSNorm,
  Sequential,
  SpatioTemporalEmbeddings,
  SpectroTemporalEmbeddings,
  T5Encoder,
  TemporalEmbeddings,
  TextTransformer,
  TINY,
  TINY_AUDIO_INPUT,
  TINY_TEXT_INPUT,
  TINY_VIDEO_INPUT,
  T5_TINY,
  TransformerEncoder,
  TransformerEncoderLayer,
  VideoTransformer,
  audioConfig,
  textConfig,
  videoConfig,
} from '../index.js';
import { buildOnnxModel, decodeOnnxModel, defaultOnnxRegistry, encodeOnnxModel, exportModuleOnnx, type OnnxModuleExportOptions } from './index.js';
import { maxError, runOnnx, session, type Feeds } from './test-helpers.js';

const TOL = 1e-4;
/** Worst error per case, printed at the end (the numbers the report quotes). */
const measured: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => console.log(`max abs error, ONNX (onnxruntime-node) vs tfjs cpu:\n${measured.join('\n')}`));

/** Replaces every weight with seeded noise (variances positive) so that no bias or norm weight is trivial. */
function randomize<M extends Module>(m: M, seed = 1): M {
  let s = seed;
  for (const [name, v] of m.namedParameters()) {
    const noise = tf.tidy(() => {
      const r = tf.randomNormal(v.shape, 0, name.endsWith('kernel') ? 0.3 : 0.5, 'float32', s++);
      if (name.endsWith('moving_variance')) return tf.add(tf.abs(r), 0.5);
      if (name.endsWith('gamma') || name.endsWith('weight')) return tf.add(r, 1);
      return r;
    });
    v.assign(noise);
    noise.dispose();
  }
  return m;
}

/** `[b, n]` mask: row i keeps its first n - (i mod n) entries (row 0 all valid). */
function prefixMask(b: number, n: number): tf.Tensor2D {
  const data = new Float32Array(b * n);
  for (let i = 0; i < b; i++) for (let j = 0; j < n - (i % n); j++) data[i * n + j] = 1;
  return tf.tensor2d(data, [b, n]);
}

/** Exports `m`, runs every (batch -> feeds) case through one session, and returns the worst error per output. */
async function parity(
  m: Module,
  opts: OnnxModuleExportOptions,
  cases: Array<() => { feeds: Feeds; expected: Record<string, tf.Tensor> }>,
): Promise<Record<string, number>> {
  const before = tf.memory().numTensors;
  const s = await session(await exportModuleOnnx(m, opts));
  const worst: Record<string, number> = {};
  for (const make of cases) {
    const { feeds, expected } = make();
    const got = await runOnnx(s, feeds);
    for (const [k, t] of Object.entries(expected)) worst[k] = Math.max(worst[k] ?? 0, maxError(t, got[k]));
    tf.dispose([...Object.values(feeds), ...Object.values(expected)]);
  }
  await s.release();
  // The export and every case leave no tensor behind (a case disposes whatever else its forward pass returned).
  expect(tf.memory().numTensors).toBe(before);
  measured.push(
    `  ${m.constructor.name} ${m.name}: ${Object.entries(worst)
      .map(([k, e]) => `${k} ${e.toExponential(2)}`)
      .join(', ')}`,
  );
  return worst;
}

const f32 = (name: string, shape: Array<number | string>) => ({ name, dtype: 'float32' as const, shape });

describe('ONNX export rules match tfjs (onnxruntime-node)', () => {
  test('Dense (bias + GELU, no bias + ReLU) and PatchProjection, on rank-2 and rank-3 inputs', async () => {
    const before = tf.memory().numTensors;
    for (const [dense, rank3] of [
      [randomize(new Dense('d', 12, 7, { activation: 'gelu' })), true],
      [randomize(new Dense('d', 12, 7, { useBias: false, activation: 'relu' })), false],
      [randomize(new PatchProjection('voxel_to_patch', 12, 7)), true],
    ] as const) {
      const shape = rank3 ? ['batch', 5, 12] : ['batch', 12];
      const err = await parity(
        dense,
        { inputs: [f32('x', shape)], outputs: [f32('y', rank3 ? ['batch', 5, 7] : ['batch', 7])] },
        [1, 3].map((b) => () => {
          const x = tf.randomNormal(rank3 ? [b, 5, 12] : [b, 12], 0, 1, 'float32', b);
          return { feeds: { x }, expected: { y: dense.apply(x) } };
        }),
      );
      expect(err.y).toBeLessThanOrEqual(TOL);
      dense.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('LayerNorm, RMSNorm (eps 1e-6), eval BatchNorm with moving statistics, Sequential', async () => {
    const modules: Module[] = [
      randomize(new LayerNorm('ln', 16)),
      randomize(new RMSNorm('rms', 16)),
      randomize(new BatchNorm('bn', 16)).train(), // exported as eval whatever the mode
      randomize(new Sequential('hid_to_va', [new BatchNorm('pre_bn', 16), 'relu', new Dense('dense', 16, 16, { useBias: false }), new BatchNorm('bn', 16)])),
    ];
    for (const m of modules) {
      const training = m.training;
      const err = await parity(
        m,
        { inputs: [f32('x', ['batch', 16])], outputs: [f32('y', ['batch', 16])] },
        [1, 4].map((b) => () => {
          const x = tf.randomNormal([b, 16], 0.3, 2, 'float32', b + 10);
          m.eval();
          const y = (m as unknown as { apply(t: tf.Tensor): tf.Tensor }).apply(x);
          m.train(training);
          return { feeds: { x }, expected: { y } };
        }),
      );
      expect(err.y).toBeLessThanOrEqual(TOL);
      m.dispose();
    }
  });

  test('Embedding lookup of int32 ids', async () => {
    const emb = randomize(new Embedding('embedding', 50, 8));
    const err = await parity(
      emb,
      { inputs: [{ name: 'ids', dtype: 'int32', shape: ['batch', 6] }], outputs: [f32('y', ['batch', 6, 8])] },
      [1, 3].map((b) => () => {
        const ids = tf.randomUniform([b, 6], 0, 50, 'int32', b);
        return { feeds: { ids }, expected: { y: emb.apply(ids) } };
      }),
    );
    expect(err.y).toBe(0);
    emb.dispose();
  });

  test('MultiHeadAttention: scaled with biases and a padding mask; unscaled without biases', async () => {
    for (const opts of [
      { dModel: 32, numHeads: 4, dKv: 8 },
      { dModel: 32, numHeads: 2, dKv: 16, useBias: false, scale: false },
    ]) {
      const mha = randomize(new MultiHeadAttention('mha', opts));
      const err = await parity(
        mha,
        { inputs: [f32('x', ['batch', 'tokens', 32]), f32('mask', ['batch', 'tokens'])], outputs: [f32('y', ['batch', 'tokens', 32])] },
        [
          [1, 7],
          [3, 7],
          [2, 11],
        ].map(([b, n]) => () => {
          const x = tf.randomNormal([b, n, 32], 0, 1, 'float32', b * n);
          const mask = prefixMask(b, n);
          return { feeds: { x, mask }, expected: { y: mha.apply(x, { mask }) } };
        }),
      );
      expect(err.y).toBeLessThanOrEqual(TOL);
      mha.dispose();
    }
  });

  test('TransformerEncoderLayer (pre- and post-norm) and TransformerEncoder with a mask', async () => {
    const layerOpts = { dModel: 32, numHeads: 4, dKv: 8, dFF: 64 };
    const modules: Array<Module & { apply(x: tf.Tensor, i: { mask?: tf.Tensor }): tf.Tensor }> = [
      randomize(new TransformerEncoderLayer('layers/0', layerOpts)),
      randomize(new TransformerEncoderLayer('layers/0', { ...layerOpts, preNorm: false })),
      randomize(new TransformerEncoder('tx', { ...layerOpts, numLayers: 3 })),
      randomize(new TransformerEncoder('tx', { ...layerOpts, numLayers: 2, preNorm: false })),
    ];
    for (const m of modules) {
      const err = await parity(
        m,
        { inputs: [f32('x', ['batch', 'tokens', 32]), f32('mask', ['batch', 'tokens'])], outputs: [f32('y', ['batch', 'tokens', 32])] },
        [
          [1, 9],
          [4, 9],
        ].map(([b, n]) => () => {
          const x = tf.randomNormal([b, n, 32], 0, 1, 'float32', b + n);
          const mask = prefixMask(b, n);
          return { feeds: { x, mask }, expected: { y: m.apply(x, { mask }) } };
        }),
      );
      expect(err.y).toBeLessThanOrEqual(TOL);
      m.dispose();
    }
  });

  test('T5Encoder: relative position bias from the learned table, padding mask, any length up to the bucket matrix', async () => {
    const t5 = randomize(new T5Encoder('base_lm', { numLayers: 2, dModel: 32, numHeads: 4, dKv: 8, dFF: 64, maxDistance: 16 }));
    const err = await parity(
      t5,
      { inputs: [f32('x', ['batch', 'tokens', 32]), f32('mask', ['batch', 'tokens'])], outputs: [f32('y', ['batch', 'tokens', 32])], maxRelativeLength: 40 },
      [
        [1, 9],
        [3, 9],
        [2, 33],
      ].map(([b, n]) => () => {
        const x = tf.randomNormal([b, n, 32], 0, 1, 'float32', b + n);
        const mask = prefixMask(b, n);
        return { feeds: { x, mask }, expected: { y: t5.apply(x, { mask }) } };
      }),
    );
    expect(err.y).toBeLessThanOrEqual(TOL);
    t5.dispose();
  });

  test('factorised positions: video (own grid and a spline-resampled one), waveform, spectrogram', async () => {
    const cases: Array<[Module & { apply(x: tf.Tensor, g?: readonly number[]): tf.Tensor }, number[] | undefined]> = [
      [randomize(new SpatioTemporalEmbeddings('pos_embedding_lookup', 8, [2, 3, 4])), undefined],
      [randomize(new SpatioTemporalEmbeddings('pos_embedding_lookup', 8, [2, 3, 4])), [3, 5, 2]],
      [randomize(new TemporalEmbeddings('pos_embedding_lookup', 8, 10)), undefined],
      [randomize(new SpectroTemporalEmbeddings('pos_embedding_lookup', 8, [3, 4])), undefined],
    ];
    for (const [m, grid] of cases) {
      const cells = (grid ?? (m as unknown as SpatioTemporalEmbeddings).buckets).reduce((a, b) => a * b, 1);
      const err = await parity(
        m,
        { inputs: [f32('x', ['batch', cells, 8])], outputs: [f32('y', ['batch', cells, 8])], args: grid ? { grid } : {} },
        [1, 2].map((b) => () => {
          const x = tf.randomNormal([b, cells, 8], 0, 1, 'float32', b);
          return { feeds: { x }, expected: { y: m.apply(x, grid) } };
        }),
      );
      expect(err.y).toBeLessThanOrEqual(TOL);
      m.dispose();
    }
  });

  test('video, waveform and spectrogram audio backbones (with pre/post projections), pooled and tokens', async () => {
    const video = randomize(new VideoTransformer(videoConfig(TINY, TINY_VIDEO_INPUT)));
    const maVideo = randomize(new VideoTransformer({ ...videoConfig(TINY, TINY_VIDEO_INPUT), preProjection: true, postProjectionDim: 48 }));
    const audio = randomize(new AudioTransformer(audioConfig(TINY, TINY_AUDIO_INPUT)));
    const spt = randomize(new AudioTransformer(audioConfig(TINY, { patchSize: [4, 5], buckets: [3, 4] })));
    for (const [m, n, p, out] of [
      [video, 32, 768, 64],
      [maVideo, 32, 768, 48],
      [audio, 32, 128, 64],
      [spt, 12, 20, 64],
    ] as const) {
      const err = await parity(
        m,
        {
          inputs: [f32('patches', ['batch', n, p])],
          outputs: [f32('pooled', ['batch', out]), f32('tokens', ['batch', n + 1, out])],
        },
        [1, 3].map((b) => () => {
          const patches = tf.randomNormal([b, n, p], 0, 1, 'float32', b);
          const { pooled, tokens } = m.apply(patches);
          return { feeds: { patches }, expected: { pooled, tokens } };
        }),
      );
      expect(err.pooled).toBeLessThanOrEqual(TOL);
      expect(err.tokens).toBeLessThanOrEqual(TOL);
      m.dispose();
    }
  });

  test('T5 text backbone and the modality-agnostic text path: the padding mask ids != 0 is built inside the graph', async () => {
    const text = randomize(new TextTransformer(textConfig(T5_TINY, TINY_TEXT_INPUT)));
    const shared = randomize(new TransformerEncoder('tx', { numLayers: 2, dModel: 64, numHeads: 4, dKv: 16, dFF: 256 }));
    const ma = randomize(new ModalityAgnosticText(textConfig(T5_TINY, TINY_TEXT_INPUT), shared));
    for (const m of [text, ma]) {
      const err = await parity(
        m,
        { inputs: [{ name: 'ids', dtype: 'int32', shape: ['batch', 8] }], outputs: [f32('pooled', ['batch', 64])] },
        [1, 2, 5].map((b) => () => {
          const raw = Array.from({ length: b * 8 }, (_, i) => (i % 8 < 8 - (Math.floor(i / 8) % 8) ? 1 + ((i * 37) % 511) : 0));
          const ids = tf.tensor2d(raw, [b, 8], 'int32');
          const { pooled, tokens } = m.apply(ids);
          tokens.dispose();
          return { feeds: { ids }, expected: { pooled } };
        }),
      );
      expect(err.pooled).toBeLessThanOrEqual(TOL);
    }
    text.dispose();
    ma.dispose();
    shared.dispose();
  });

  test('initializers carry the parameter names; a module without a rule is named in the error', async () => {
    const enc = new TransformerEncoder('tx', { numLayers: 1, dModel: 16, numHeads: 2, dKv: 8, dFF: 32 });
    const model = await decodeOnnxModel(
      await encodeOnnxModel(buildOnnxModel(enc, { inputs: [f32('x', ['batch', 4, 16])], outputs: [f32('y', ['batch', 4, 16])], prefix: 'video/tx/' })),
    );
    const names = model.graph.initializer.map((t) => t.name);
    expect(names).toContain('video/tx/layers/0/mha/k/kernel');
    expect(names).toContain('video/tx/layers/0/mha/q/kernel/scaled');
    expect(names).toContain('video/tx/final_layer_norm/gamma');
    expect(model.opsetImport[0].version).toBe(17);
    expect(model.graph.node.map((n) => n.opType)).toContain('LayerNormalization');
    enc.dispose();

    class Unknown extends Module {}
    expect(() => buildOnnxModel(new Unknown('odd'), { inputs: [f32('x', [1])], outputs: [f32('y', [1])] })).toThrow(
      /no rule for Unknown \(odd\); registered: .*Dense.*defaultOnnxRegistry\.register/,
    );
    expect(defaultOnnxRegistry.classNames()).toEqual(
      expect.arrayContaining(['Dense', 'LayerNorm', 'RMSNorm', 'BatchNorm', 'Embedding', 'MultiHeadAttention', 'TransformerEncoderLayer', 'T5Encoder']),
    );
  });
});
