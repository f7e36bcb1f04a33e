/**
 * The spectrogram audio model (SpT) end to end: the preprocessing turns waveforms into log-mel
 * patches on the grid of the model's positional table, a tone lands in the right mel bins, and the
 * tiny-spt VATT embeds, trains and round-trips through a checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { useBackend } from '@vatt-testing/backends';
import { randomClips, TEST_VOCAB } from '../../test/random-clips.js';
import { saveCheckpoint } from '../checkpoint/store.js';
import { makePretrainBatch } from '../train/pretrain.js';
import { getPreset } from '../config/index.js';
import { encodeAudio } from './encode.js';
import { loadVatt } from './load.js';
import { VattPreprocessor } from './preprocess.js';
import { VATT } from './vatt.js';

beforeAll(() => useBackend('wasm'));

/** HTK mel of a frequency. */
const mel = (f: number) => 2595 * Math.log10(1 + f / 700);

function tone(freq: number, samples: number, rate: number): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => 0.5 * Math.sin((2 * Math.PI * freq * i) / rate));
}

test('tiny-spt: log-mel patches on the 3 x 8 grid of its positions; a 1 kHz tone peaks in the 1 kHz mel bin', async () => {
  const { model, preprocessing } = getPreset('tiny-spt');
  const spec = preprocessing.audio.spectrogram!;
  const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
  const x = pre.audioPatches([tone(1000, preprocessing.audio.samples, preprocessing.audio.sampleRate)]);
  expect(x.shape).toEqual([1, 3 * 8, 16 * 5]);
  expect(model.audio.input).toEqual({ patchSize: [16, 5], buckets: [3, 8] });
  // Rebuild the [48 frames, 40 mels] image from the time-major patches and find the loudest mel bin.
  const v = await x.data();
  const energy = new Float64Array(spec.nMels);
  for (let p = 0; p < 24; p++) {
    const f0 = (p % 8) * 5;
    for (let t = 0; t < 16; t++) for (let f = 0; f < 5; f++) energy[f0 + f] += v[p * 80 + t * 5 + f];
  }
  const peak = energy.indexOf(Math.max(...energy));
  // Centre of mel bin `peak`: nMels + 2 points evenly spaced in mel between fMin and fMax.
  const [lo, hi] = [mel(spec.fMin!), mel(spec.fMax!)];
  const centre = lo + ((peak + 1) * (hi - lo)) / (spec.nMels + 1);
  const hz = 700 * (10 ** (centre / 2595) - 1);
  expect(Math.abs(hz - 1000)).toBeLessThan(80);
  // min-max normalised to [0, 1] per example (the official normalize_spectrogram).
  expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...v)).toBeLessThanOrEqual(1);
  x.dispose();
});

test('bbs-spt: 3.2 s at 48 kHz gives the official 9 x 16 tokens of 16 x 5 (SpT-Base, no biases, no DropToken)', () => {
  const { model, preprocessing } = getPreset('bbs-spt');
  const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
  const { patches, grid } = pre.spectrogram!.tokenize(new Float32Array(preprocessing.audio.samples), [1, preprocessing.audio.samples]);
  expect(grid).toEqual([9, 16]);
  expect(patches.shape).toEqual([1, 144, 80]);
  expect(model.audio.useBias).toBe(false);
  expect(model.audio.dropTokenKeepRate).toBeNull();
});

test('a tiny-spt VATT embeds audio, trains, and comes back from a checkpoint with its spectrogram front end', async () => {
  random.setSeed(3);
  const { model: config, preprocessing } = getPreset('tiny-spt');
  const model = new VATT(config).train();
  const pre = new VattPreprocessor(preprocessing, TEST_VOCAB);
  const clips = randomClips(preprocessing, 4, 5);
  const batch = makePretrainBatch(pre, clips, [0, 1, 2, 3]);
  expect(batch.audioPatches.shape).toEqual([4, 24, 80]);
  const { value, grads } = tf.variableGrads(() => model.pretrainLoss(batch).total, model.trainableVariables());
  expect(Number.isFinite((await value.data())[0])).toBe(true);
  const audioGrads = model.namedTrainableParameters().filter(([n]) => n.startsWith('audio/'));
  expect(audioGrads.length).toBeGreaterThan(0);
  for (const [, v] of audioGrads) expect(grads[v.name]).toBeDefined();
  tf.dispose([value, ...Object.values(grads), batch.videoPatches, batch.audioPatches, batch.textIds]);

  model.eval();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vatt-spt-'));
  try {
    await saveCheckpoint(path.join(dir, 'ckpt'), { modelConfig: config, preprocessing, vocab: [...TEST_VOCAB], weights: model.namedWeights() });
    const loaded = await loadVatt(path.join(dir, 'ckpt'));
    expect(loaded.preprocessing.audio.spectrogram).toEqual(preprocessing.audio.spectrogram);
    const waves = clips.clips.slice(0, 2).map((c) => c.audio);
    const a = await encodeAudio(model, pre, waves);
    const b = await encodeAudio(loaded.model, loaded.preprocessor, waves);
    expect(Array.from(b.va.data)).toEqual(Array.from(a.va.data));
    loaded.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});
