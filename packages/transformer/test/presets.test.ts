import { useBackend } from '@vatt-testing/backends';
import { VideoTransformer } from '../src/backbones/index.js';
import { estimateForwardFlops } from '../src/flops.js';
import {
  TINY,
  SMALL,
  BASE,
  MEDIUM,
  LARGE,
  T5_SMALL,
  VIDEO_INPUT,
  AUDIO_INPUT,
  TEXT_INPUT,
  TINY_VIDEO_INPUT,
  videoConfig,
  audioConfig,
  textConfig,
  countParameters,
} from '../src/presets.js';

const within = (value: number, target: number, rel: number) => Math.abs(value / target - 1) <= rel;

describe('presets', () => {
  test('the standard inputs give 8x14x14 = 1568 video, 1200 audio and 16 text tokens (docs/numerics.md §1.1-1.3)', () => {
    const { frames, height, width, patchSize, buckets } = VIDEO_INPUT;
    expect([frames / patchSize[0], height / patchSize[1], width / patchSize[2]]).toEqual([...buckets]);
    expect(buckets.reduce((a, b) => a * b, 1)).toBe(1568);
    expect(AUDIO_INPUT.samples / AUDIO_INPUT.patchSize).toBe(AUDIO_INPUT.buckets);
    expect(AUDIO_INPUT.buckets).toBe(1200);
    expect(TEXT_INPUT).toEqual({ vocabSize: 65536, embeddingDim: 300, maxTokens: 16 });
    const t = TINY_VIDEO_INPUT;
    expect([t.frames / t.patchSize[0], t.height / t.patchSize[1], t.width / t.patchSize[2]]).toEqual([...t.buckets]);
  });

  test('every size has numHeads * dKv = dModel and an MLP ratio of 4', () => {
    for (const s of [TINY, SMALL, BASE, MEDIUM, LARGE, T5_SMALL]) {
      expect(s.numHeads * s.dKv).toBe(s.dModel);
      expect(s.dFF).toBe(4 * s.dModel);
    }
  });
});

describe('parameter counts against the paper (Table 7)', () => {
  // Counted: patch projection (kernel + bias), the three (or one) positional tables and their
  // LayerNorm, the [AGG] vector, and the Transformer stack with its final LayerNorm; no pre/post
  // projection and no head. Video at 224 px (8/14/14 buckets), audio with 1200 buckets.
  test('video Base / Medium / Large are within 1 % of 87.9 M / 155.0 M / 306.1 M', () => {
    expect(countParameters(videoConfig(BASE)).total).toBe(87_446_016);
    expect(countParameters(videoConfig(MEDIUM)).total).toBe(154_343_424);
    expect(countParameters(videoConfig(LARGE)).total).toBe(305_498_112);
    expect(within(countParameters(videoConfig(BASE)).total, 87.9e6, 0.01)).toBe(true);
    expect(within(countParameters(videoConfig(MEDIUM)).total, 155.0e6, 0.01)).toBe(true);
    expect(within(countParameters(videoConfig(LARGE)).total, 306.1e6, 0.01)).toBe(true);
  });

  test('the audio (WaT) Base tower is within 2.1 % of the Base row (its 1200-row table replaces the 3072-wide patch kernel)', () => {
    expect(countParameters(audioConfig(BASE)).total).toBe(86_078_976);
    expect(within(countParameters(audioConfig(BASE)).total, 87.9e6, 0.021)).toBe(true);
  });

  test("Small: the 6 x 512 video tower is 20.51 M, 1.9 % under the paper's 20.9 M; T5-Small text trains 19.04 M (+19.66 M frozen word2vec)", () => {
    // The paper's Small row does not say which tower it counts; no tower of the official code gives
    // 20.9 M exactly (docs/numerics.md §3.1), so this pins our numbers and the 2 % gap.
    expect(countParameters(videoConfig(SMALL)).total).toBe(20_508_672);
    expect(within(countParameters(videoConfig(SMALL)).total, 20.9e6, 0.02)).toBe(true);
    const t5 = countParameters(textConfig(T5_SMALL));
    expect(t5.trainable).toBe(19_038_252);
    expect(t5.total - t5.trainable).toBe(65536 * 300);
  });

  test('a built Small video tower has exactly the analytic count', async () => {
    await useBackend('cpu');
    const m = new VideoTransformer(videoConfig(SMALL));
    expect(m.countParams()).toBe(countParameters(videoConfig(SMALL)).total);
    m.dispose();
  });
});

describe('forward FLOPs', () => {
  test("Medium, one 32x224x224 view, no DropToken: 604.7 GFLOPs counting every matMul; 547.5 in the paper convention vs Table 6's 548.1", () => {
    const f = estimateForwardFlops(videoConfig(MEDIUM), 1568);
    expect(f.encoderTokens).toBe(1569);
    expect(f.total / 1e9).toBeCloseTo(604.69, 1);
    expect(within(f.paperConvention, 548.1e9, 0.002)).toBe(true);
  });

  test("the paper convention reproduces Table 6 at 64x224 and 32x320 and Table 1's 12-view TFLOPs within 0.3 %", () => {
    expect(within(estimateForwardFlops(videoConfig(MEDIUM), 3136).paperConvention, 1222.1e9, 0.003)).toBe(true);
    expect(within(estimateForwardFlops(videoConfig(MEDIUM), 3200).paperConvention, 1252.3e9, 0.003)).toBe(true);
    expect(within(12 * estimateForwardFlops(videoConfig(BASE), 3200).paperConvention, 9.09e12, 0.003)).toBe(true);
    expect(within(12 * estimateForwardFlops(videoConfig(LARGE), 3200).paperConvention, 29.8e12, 0.003)).toBe(true);
  });

  test('VATT-MBS with 0 % and 50 % DropToken is within 1 % of Table 5 (784.8 / 375.4 GFLOPs)', () => {
    const mbs = (dropToken: boolean) =>
      estimateForwardFlops(videoConfig(MEDIUM), 1568, { dropToken }).paperConvention +
      estimateForwardFlops(audioConfig(BASE), 1200, { dropToken }).paperConvention +
      estimateForwardFlops(textConfig(T5_SMALL), 16).paperConvention;
    expect(within(mbs(false), 784.8e9, 0.01)).toBe(true);
    expect(within(mbs(true), 375.4e9, 0.01)).toBe(true);
  });

  test('DropToken shrinks the encoder to int(0.5 * 1568) + 1 tokens but not the patch projection', () => {
    const full = estimateForwardFlops(videoConfig(BASE), 1568);
    const dropped = estimateForwardFlops(videoConfig(BASE), 1568, { dropToken: true });
    expect(dropped.encoderTokens).toBe(785);
    expect(dropped.tokenizer).toBe(full.tokenizer);
    expect(dropped.mlp / full.mlp).toBeCloseTo(785 / 1569, 6);
    expect(() => estimateForwardFlops(videoConfig(BASE), 0)).toThrow(/tokens must be a positive integer/);
  });
});
