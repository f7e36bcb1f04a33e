/**
 * Parity with scripts/golden/transformer_core.py: torch's pre-LN TransformerEncoderLayer /
 * TransformerEncoder (weights loaded by name) and an independent T5 encoder reference, all float64.
 * Every position is compared, padded ones included (torch's regular path computes them too).
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBackend, maxAbsDiff, testBackends, type TestBackend } from '@vatt-testing/backends';
import { T5Encoder, TransformerEncoder, TransformerEncoderLayer, relativePositionBucket } from '../index.js';
import type { Module } from '../module.js';
import { disposeNamed, readGolden, toNamedTensors, toTensor, type GoldenTensor } from '../nn/test-helpers.js';

interface GoldenEncoder {
  config: { dModel: number; numHeads: number; dKv: number; dFF: number; lnEps?: number; numLayers?: number; numBuckets?: number; maxDistance?: number };
  mask: number[][];
  x: GoldenTensor;
  weights: Record<string, GoldenTensor>;
  output: GoldenTensor;
  outputMasked: GoldenTensor;
}

interface GoldenT5 extends GoldenEncoder {
  buckets: { relativePosition: number[]; bucket: number[] };
}

const layerGolden = readGolden<GoldenEncoder>('core_layer.json');
const stackGolden = readGolden<GoldenEncoder>('core_stack.json');
const t5Golden = readGolden<GoldenT5>('core_t5.json');

type Encoder = Module & { apply(x: tf.Tensor, inputs?: { mask?: tf.Tensor }): tf.Tensor };

/** Max abs error of `model` (weights loaded by name) against the golden outputs, without and with mask. */
async function parity(model: Encoder, golden: GoldenEncoder): Promise<{ plain: number; masked: number }> {
  const weights = toNamedTensors(golden.weights);
  model.loadWeights(weights);
  disposeNamed(weights);
  model.eval();
  const [plain, masked] = tf.tidy(() => {
    const x = toTensor(golden.x);
    return [model.apply(x), model.apply(x, { mask: tf.tensor2d(golden.mask) })];
  });
  const err = { plain: maxAbsDiff(await plain.data(), golden.output.data), masked: maxAbsDiff(await masked.data(), golden.outputMasked.data) };
  tf.dispose([plain, masked]);
  return err;
}

const cfg = layerGolden.config;

function goldenSuite(backend: TestBackend) {
  const full = backend !== 'webgpu';

  test('TransformerEncoderLayer matches torch.nn.TransformerEncoderLayer (norm_first, exact GELU) with and without padding mask', async () => {
    const layer = new TransformerEncoderLayer('layer', { ...cfg, dropout: 0.1, attnDropout: 0.1 });
    const err = await parity(layer, layerGolden);
    expect(err.plain).toBeLessThanOrEqual(1e-5);
    expect(err.masked).toBeLessThanOrEqual(1e-5);
    layer.dispose();
  });

  test('T5Encoder matches the independent T5 reference (RMSNorm, unscaled attention, shared relative bias, LN+GELU MLP)', async () => {
    const t5 = new T5Encoder('base_lm', { ...t5Golden.config, numLayers: t5Golden.config.numLayers! });
    const err = await parity(t5, t5Golden);
    expect(err.plain).toBeLessThanOrEqual(1e-5);
    expect(err.masked).toBeLessThanOrEqual(1e-5);
    t5.dispose();
  });

  if (!full) return;

  test('TransformerEncoder matches torch.nn.TransformerEncoder with a final LayerNorm', async () => {
    const tx = new TransformerEncoder('tx', { ...cfg, numLayers: stackGolden.config.numLayers! });
    const err = await parity(tx, stackGolden);
    expect(err.plain).toBeLessThanOrEqual(1e-5);
    expect(err.masked).toBeLessThanOrEqual(1e-5);
    tx.dispose();
  });

  test('namedWeights() of a loaded encoder round-trips into a second instance with identical outputs', () => {
    const a = new TransformerEncoder('tx', { ...cfg, numLayers: 2 });
    const weights = toNamedTensors(stackGolden.weights);
    a.loadWeights(weights);
    disposeNamed(weights);
    const b = new TransformerEncoder('tx', { ...cfg, numLayers: 2 });
    b.loadWeights(a.namedWeights());
    expect(Object.keys(b.namedWeights()).sort()).toEqual(Object.keys(stackGolden.weights).sort());
    tf.tidy(() => {
      const x = toTensor(stackGolden.x);
      const mask = tf.tensor2d(stackGolden.mask);
      expect(maxAbsDiff(b.apply(x, { mask }).dataSync(), stackGolden.outputMasked.data)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(b.apply(x, { mask }).dataSync(), a.apply(x, { mask }).dataSync())).toBe(0);
    });
    a.dispose();
    b.dispose();
  });
}

forEachBackend(testBackends({ webgpu: true }), goldenSuite);

describe('relativePositionBucket', () => {
  test("equals T5's bidirectional _relative_position_bucket for every offset in -300..300", () => {
    const { relativePosition, bucket } = t5Golden.buckets;
    expect(relativePosition.map((r) => relativePositionBucket(r))).toEqual(bucket);
  });

  test('puts keys left of the query in 0-15 and keys to the right in 16-31, exact below distance 8', () => {
    expect([0, -1, -7, 1, 7].map((r) => relativePositionBucket(r))).toEqual([0, 1, 7, 17, 23]);
    expect(relativePositionBucket(-1000)).toBe(15);
    expect(relativePositionBucket(1000)).toBe(31);
  });
});
