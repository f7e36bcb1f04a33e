/**
 * Parity with scripts/golden/losses.py (float64 torch: the published formulas and torch autograd).
 * Losses and gradients w.r.t. the raw embeddings agree within a per-backend bound, about 3x what each
 * backend measures (float32 against float64), as the README's parity table states.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forEachBackend, maxAbsDiff, testBackends, type TestBackend } from '@vatt-testing/backends';
import { milNce, milNcePerSample, nce, symmetricInfoNce, vattPretrainLoss, vattPretrainLossTerms } from '../src/index.js';
import { golden, toTensor, type GoldenMilNceCase, type GoldenTensor } from './golden.js';

// Measured: cpu 6.2e-7, wasm 1.3e-6, webgpu (SwiftShader) 5.8e-7.
const BOUNDS: Record<string, number> = { cpu: 2e-6, wasm: 4e-6, webgpu: 2e-6 };
const worst: Record<string, number> = {};
afterAll(() => console.log(`worst abs error vs float64 torch: ${JSON.stringify(worst)}`));

/** Asserts `err` is within the current backend's bound, and records it. */
function expectClose(err: number): void {
  const b = tf.getBackend();
  worst[b] = Math.max(worst[b] ?? 0, err);
  expect(err).toBeLessThanOrEqual(BOUNDS[b]);
}

/** Value and gradients of `loss` at the golden inputs, compared with the golden ones. */
async function expectLossAndGradients(
  loss: (...inputs: tf.Tensor2D[]) => tf.Scalar,
  inputs: GoldenTensor[],
  expectedLoss: number,
  expectedGrads: GoldenTensor[],
): Promise<void> {
  const tensors = inputs.map(toTensor);
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => loss(...(xs as tf.Tensor2D[])))(tensors);
  expectClose(Math.abs((await value.data())[0] - expectedLoss));
  for (let i = 0; i < grads.length; i++) {
    expect(grads[i].shape).toEqual(expectedGrads[i].shape);
    expectClose(maxAbsDiff(await grads[i].data(), expectedGrads[i].data));
  }
  tf.dispose([value, ...grads, ...tensors]);
}

function milNceOf(c: GoldenMilNceCase) {
  return (video: tf.Tensor2D, text: tf.Tensor2D) =>
    milNce(video, text, {
      numCandidates: c.K,
      temperature: c.temperature,
      textMask: c.textMask ?? undefined,
      videoMask: c.videoMask ?? undefined,
    });
}

function goldenSuite(backend: TestBackend) {
  // WebGPU (SwiftShader) is slow: it runs the masked MIL-NCE case and the combined loss only.
  const full = backend !== 'webgpu';
  const milNceCases = full ? golden.milNce : golden.milNce.filter((c) => c.videoMask !== null);

  describe.each(milNceCases.map((c) => [c.name, c] as const))('milNce with %s (B=6, K=5, D=16)', (_, c) => {
    test('matches the concatenated-denominator formula and its torch gradients', async () => {
      await expectLossAndGradients(milNceOf(c), [c.video, c.text], c.loss, [c.gradVideo, c.gradText]);
    });
  });

  if (full) {
    test('milNcePerSample gives loss_i for valid clips and 0 for masked ones', async () => {
      for (const c of golden.milNce) {
        const [video, text] = [toTensor(c.video), toTensor(c.text)];
        const perSample = milNcePerSample(video, text, {
          numCandidates: c.K,
          temperature: c.temperature,
          textMask: c.textMask ?? undefined,
          videoMask: c.videoMask ?? undefined,
        });
        expectClose(maxAbsDiff(await perSample.data(), c.perSample));
        tf.dispose([video, text, perSample]);
      }
    });

    describe.each(golden.nce.map((c) => [c.name, c] as const))('nce with %s (B=6, D=16)', (_, c) => {
      test('matches MIL-NCE with one candidate and its torch gradients', async () => {
        const loss = (video: tf.Tensor2D, audio: tf.Tensor2D) => nce(video, audio, { temperature: c.temperature, audioMask: c.textMask ?? undefined });
        await expectLossAndGradients(loss, [c.video, c.text], c.loss, [c.gradVideo, c.gradText]);
      });
    });

    describe.each(golden.symmetricInfoNce.map((c) => [c.name, c] as const))('symmetricInfoNce at %s', (_, c) => {
      test('matches the mean of the two torch cross-entropies and their gradients', async () => {
        const loss = (a: tf.Tensor2D, b: tf.Tensor2D) => symmetricInfoNce(a, b, { temperature: c.temperature });
        await expectLossAndGradients(loss, [c.a, c.b], c.loss, [c.gradA, c.gradB]);
      });
    });
  }

  describe('vattPretrainLoss', () => {
    const p = golden.vattPretrainLoss;
    const names = ['video_va', 'audio', 'video_vt', 'text'] as const; // keys of the golden file
    const options = { numCandidates: p.K, temperature: p.temperature, textMask: p.textMask, weights: p.weights };

    test('is (w_va·L_va + w_vt·L_vt)/(w_va + w_vt) with the torch gradients', async () => {
      const loss = (videoVa: tf.Tensor2D, audioVa: tf.Tensor2D, videoVt: tf.Tensor2D, textVt: tf.Tensor2D) =>
        vattPretrainLoss({ videoVa, audioVa, videoVt, textVt, ...options });
      await expectLossAndGradients(
        loss,
        names.map((n) => p[n]),
        p.codeTotal,
        names.map((n) => p.gradCode[n]),
      );
    });

    test('reports both terms, and paperWeighting gives w_va·L_va + w_vt·L_vt', async () => {
      const [videoVa, audioVa, videoVt, textVt] = names.map((n) => toTensor(p[n]));
      const code = vattPretrainLossTerms({ videoVa, audioVa, videoVt, textVt, ...options });
      const paper = vattPretrainLoss({ videoVa, audioVa, videoVt, textVt, ...options, paperWeighting: true });
      const [va, vt, total, paperTotal] = await Promise.all([code.lossVa, code.lossVt, code.total, paper].map(async (t) => (await t.data())[0]));
      expectClose(Math.abs(va - p.videoAudio));
      expectClose(Math.abs(vt - p.videoText));
      expectClose(Math.abs(total - p.codeTotal));
      expectClose(Math.abs(paperTotal - p.paperTotal));
      tf.dispose([videoVa, audioVa, videoVt, textVt, code.total, code.lossVa, code.lossVt, paper]);
    });
  });
}

forEachBackend(testBackends({ webgpu: true }), goldenSuite);
