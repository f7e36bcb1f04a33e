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

/**
 * Max abs error each backend must stay within, per case: about 3x what it measures (float32 against the
 * float64 references), so a regression of a few ulps fails. The README's parity table states these.
 */
const BOUNDS: Record<TestBackend, Record<'layer' | 't5' | 'stack', number>> = {
  cpu: { layer: 1.5e-6, t5: 2e-6, stack: 1.5e-6 }, // measured 4.0e-7, 6.1e-7, 4.4e-7
  wasm: { layer: 3e-6, t5: 4e-6, stack: 3e-6 }, // measured 9.9e-7, 1.3e-6, 1.1e-6
  webgpu: { layer: 3e-6, t5: 5e-6, stack: 3e-6 }, // measured 1.1e-6, 1.6e-6, 9.8e-7 (SwiftShader)
};
const measured: string[] = [];
afterAll(() => console.log(`max abs error vs the float64 references:\n${measured.join('\n')}`));

function expectWithin(backend: TestBackend, name: 'layer' | 't5' | 'stack', err: { plain: number; masked: number }): void {
  measured.push(`${backend} ${name}: ${err.plain.toExponential(2)} (no mask), ${err.masked.toExponential(2)} (mask)`);
  expect(Math.max(err.plain, err.masked)).toBeLessThanOrEqual(BOUNDS[backend][name]);
}

function goldenSuite(backend: TestBackend) {
  test('TransformerEncoderLayer matches torch.nn.TransformerEncoderLayer (norm_first, exact GELU) with and without padding mask', async () => {
    const layer = new TransformerEncoderLayer('layer', { ...cfg, dropout: 0.1, attnDropout: 0.1 });
    expectWithin(backend, 'layer', await parity(layer, layerGolden));
    layer.dispose();
  });

  test('T5Encoder matches the independent T5 reference (RMSNorm, unscaled attention, shared relative bias, LN+GELU MLP)', async () => {
    const t5 = new T5Encoder('base_lm', { ...t5Golden.config, numLayers: t5Golden.config.numLayers! });
    expectWithin(backend, 't5', await parity(t5, t5Golden));
    t5.dispose();
  });

  test('TransformerEncoder matches torch.nn.TransformerEncoder with a final LayerNorm', async () => {
    const tx = new TransformerEncoder('tx', { ...cfg, numLayers: stackGolden.config.numLayers! });
    expectWithin(backend, 'stack', await parity(tx, stackGolden));
    tx.dispose();
  });

  test('namedWeights() of a loaded encoder round-trips into a second instance with identical outputs', async () => {
    const a = new TransformerEncoder('tx', { ...cfg, numLayers: 2 });
    const weights = toNamedTensors(stackGolden.weights);
    a.loadWeights(weights);
    disposeNamed(weights);
    const b = new TransformerEncoder('tx', { ...cfg, numLayers: 2 });
    b.loadWeights(a.namedWeights());
    expect(Object.keys(b.namedWeights()).sort()).toEqual(Object.keys(stackGolden.weights).sort());
    const x = toTensor(stackGolden.x);
    const mask = tf.tensor2d(stackGolden.mask);
    const [ya, yb] = [a.apply(x, { mask }), b.apply(x, { mask })];
    const [da, db] = [await ya.data(), await yb.data()];
    expect(maxAbsDiff(db, stackGolden.outputMasked.data)).toBeLessThanOrEqual(BOUNDS[backend].stack);
    expect(maxAbsDiff(db, da)).toBe(0);
    tf.dispose([x, mask, ya, yb]);
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
