import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, forEachBackend, testBackends } from '@vatt-testing/backends';
import { WaveformTokenizer } from '../index.js';

const ramp = (n: number, start = 0) => Float32Array.from({ length: n }, (_, i) => start + i);

describe('WaveformTokenizer on typed arrays', () => {
  test('cuts 3.2 s at 48 kHz into the 1200 tokens of 128 samples VATT pre-trains on', () => {
    const { patches, grid } = new WaveformTokenizer().tokenize(new Float32Array(153_600));
    expect(grid).toEqual([1200]);
    expect(patches.shape).toEqual([1, 1200, 128]);
  });

  test('keeps consecutive samples together, patch k holding samples k*p .. k*p + p - 1', () => {
    const { patches } = new WaveformTokenizer({ patchSize: 4 }).tokenize(ramp(16), [2, 8]);
    expect(patches.shape).toEqual([2, 2, 4]);
    expect(Array.from(patches.data)).toEqual(Array.from(ramp(16)));
  });

  test('accepts [B, S, 1] like the official input', () => {
    const { patches } = new WaveformTokenizer({ patchSize: 2 }).tokenize(ramp(8), [2, 4, 1]);
    expect(patches.shape).toEqual([2, 2, 2]);
    expect(Array.from(patches.data)).toEqual(Array.from(ramp(8)));
  });

  test('pads with zeros at the end up to numSamples', () => {
    const { patches, grid } = new WaveformTokenizer({ patchSize: 4, numSamples: 8 }).tokenize(ramp(10, 1), [2, 5]);
    expect(grid).toEqual([2]);
    expect(Array.from(patches.data)).toEqual([1, 2, 3, 4, 5, 0, 0, 0, 6, 7, 8, 9, 10, 0, 0, 0]);
  });

  test('crops to the first numSamples', () => {
    const { patches } = new WaveformTokenizer({ patchSize: 2, numSamples: 4 }).tokenize(ramp(7, 1));
    expect(Array.from(patches.data)).toEqual([1, 2, 3, 4]);
  });

  describe('errors', () => {
    test('a length that is not a multiple of the patch size without numSamples', () => {
      expect(() => new WaveformTokenizer().tokenize(new Float32Array(1000))).toThrow(
        /waveform length S=1000 is not a multiple of the patch size 128; set numSamples to pad or crop it \(e\.g\. 1024\)/,
      );
    });

    test('a numSamples that is not a multiple of the patch size', () => {
      expect(() => new WaveformTokenizer({ numSamples: 1000 })).toThrow(/numSamples 1000 must be a multiple of patchSize 128/);
    });

    test('a wrong rank or a trailing channel axis other than 1', () => {
      const tokenizer = new WaveformTokenizer({ patchSize: 2 });
      expect(() => tokenizer.tokenize(new Float32Array(8), [2, 2, 2])).toThrow(/waveform must have shape \[S\], \[B, S\] or \[B, S, 1\]; got \[2, 2, 2\]/);
      expect(() => tokenizer.tokenize(new Float32Array(8), [1, 1, 8, 1])).toThrow(/got \[1, 1, 8, 1\]/);
    });
  });
});

forEachBackend(testBackends({ webgpu: true }), () => {
  describe('WaveformTokenizer on tensors', () => {
    test('matches the array path, padding and cropping included', async () => {
      const data = ramp(2 * 10, 1);
      for (const numSamples of [undefined, 8, 12]) {
        const tokenizer = new WaveformTokenizer({ patchSize: 2, numSamples });
        const x = tf.tensor(data, [2, 10, 1]);
        const { patches, grid } = tokenizer.tokenize(x);
        const reference = tokenizer.tokenize(data, [2, 10, 1]);
        expect(patches.shape).toEqual(reference.patches.shape);
        expect(grid).toEqual(reference.grid);
        expect(Array.from(await patches.data())).toEqual(Array.from(reference.patches.data));
        tf.dispose([x, patches]);
      }
    });

    test('leaves no tensors behind', async () => {
      const x = tf.ones([2, 300]);
      const tokenizer = new WaveformTokenizer({ numSamples: 256 });
      await expectNoLeak(() => tf.dispose(tokenizer.tokenize(x).patches));
      x.dispose();
    });
  });
});
