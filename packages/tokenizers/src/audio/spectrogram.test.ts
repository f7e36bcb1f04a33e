import { readFileSync } from 'node:fs';
import { maxAbsDiff } from '@vatt-testing/backends';
import { hannWindow, LogMelSpectrogram, SpectrogramTokenizer, type LogMelOptions } from '../index.js';

/** A test signal as scripts/golden/tokenizers.py describes it. */
interface GoldenSignal {
  sampleRate: number;
  numSamples: number;
  seed: number;
  f0: number;
  f1: number;
  noiseAmp: number;
}

interface GoldenCase {
  name: string;
  signals: GoldenSignal[];
  options: LogMelOptions & { fMax?: number | null };
  shape: number[];
  logMel: number[];
}

const golden = JSON.parse(readFileSync(new URL('../../test/golden/log_mel.json', import.meta.url), 'utf8')) as { logOffset: number; cases: GoldenCase[] };

/** The golden script's chirp + minstd noise, regenerated with the same float64 operations. */
function chirpPlusNoise({ sampleRate, numSamples, seed, f0, f1, noiseAmp }: GoldenSignal): Float64Array {
  const out = new Float64Array(numSamples);
  const duration = numSamples / sampleRate;
  let state = seed;
  for (let i = 0; i < numSamples; i++) {
    state = (state * 48271) % 2147483647;
    const noise = (2 * state) / 2147483647 - 1;
    const t = i / sampleRate;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * duration));
    out[i] = 0.5 * Math.sin(phase) + noiseAmp * noise;
  }
  return out;
}

function goldenInput(c: GoldenCase): { waveform: Float64Array; shape: number[] } {
  const length = c.signals[0].numSamples;
  const waveform = new Float64Array(c.signals.length * length);
  c.signals.forEach((s, b) => waveform.set(chirpPlusNoise(s), b * length));
  return { waveform, shape: [c.signals.length, length] };
}

describe('LogMelSpectrogram', () => {
  test.each(golden.cases.map((c) => [c.name, c] as const))('matches torchaudio MelSpectrogram in float64 (%s) within 1.5e-8 on ln(mel + 1e-6)', (_name, c) => {
    const { fMax, ...options } = c.options;
    const logMel = new LogMelSpectrogram({ ...options, fMax: fMax ?? undefined, logOffset: golden.logOffset });
    const { waveform, shape } = goldenInput(c);
    const out = logMel.compute(waveform, shape);
    expect(out.shape).toEqual(c.shape);
    // Measured: 5.0e-9 (the chirp), 5e-10 for the rest; float64 arithmetic in a different order than torch's.
    expect(maxAbsDiff(out.data, c.logMel)).toBeLessThanOrEqual(1.5e-8);
  });

  test('uses the periodic Hann window (zero at 0, one at n/2, not symmetric)', () => {
    const w = hannWindow(8);
    expect(w[0]).toBe(0);
    expect(w[4]).toBeCloseTo(1, 15);
    expect(w[1]).toBeCloseTo(w[7], 15);
    expect(w[7]).not.toBe(0);
  });

  test('gives 1 + floor(S / hop) centred frames of 80 bins at the VATT settings', () => {
    const logMel = new LogMelSpectrogram();
    expect(logMel.compute(new Float32Array(153_600)).shape).toEqual([1, 151, 80]);
    expect(logMel.numFrames(24_000)).toBe(24);
    expect(new LogMelSpectrogram({ center: false }).numFrames(153_600)).toBe(149);
  });

  test('turns silence into ln(1e-6) and scales each example to [0, 1] with normalize: minmax', () => {
    const silent = new LogMelSpectrogram().compute(new Float32Array(4096));
    expect(silent.data.every((v) => Math.abs(v - Math.log(1e-6)) < 1e-12)).toBe(true);

    const c = golden.cases[1]; // a batch of two
    const { waveform, shape } = goldenInput(c);
    const plain = new LogMelSpectrogram().compute(waveform, shape).data;
    const scaled = new LogMelSpectrogram({ normalize: 'minmax' }).compute(waveform, shape).data;
    const half = plain.length / 2;
    for (const [from, to] of [
      [0, half],
      [half, plain.length],
    ]) {
      const example = plain.subarray(from, to);
      const lo = Math.min(...example);
      const hi = Math.max(...example);
      expect(
        maxAbsDiff(
          scaled.subarray(from, to),
          example.map((v) => (v - lo) / (hi - lo)),
        ),
      ).toBeLessThan(1e-12);
    }
    // A constant example (silence) becomes all zeros, not NaN.
    const flat = new LogMelSpectrogram({ normalize: 'minmax' }).compute(new Float32Array(4096)).data;
    expect(flat.every((v) => v === 0)).toBe(true);
  });

  describe('errors', () => {
    test('a waveform too short for reflect padding names the sample count and the need', () => {
      expect(() => new LogMelSpectrogram().compute(new Float32Array(1000))).toThrow(
        /waveform has 1000 samples; reflect padding \(center=true\) needs more than nFft\/2=1024/,
      );
    });

    test('an FFT size fft.js cannot do', () => {
      expect(() => new LogMelSpectrogram({ nFft: 1000 })).toThrow(/nFft must be a power of two >= 2 \(fft\.js\); got 1000/);
    });

    test('a frequency range outside [0, sampleRate/2]', () => {
      expect(() => new LogMelSpectrogram({ fMax: 30_000 })).toThrow(/need 0 <= fMin < fMax <= sampleRate\/2; got fMin=0, fMax=30000/);
    });

    test('a waveform of rank 3', () => {
      expect(() => new LogMelSpectrogram().compute(new Float32Array(4096), [1, 4096, 1])).toThrow(
        /waveform must have shape \[S\] or \[B, S\]; got \[1, 4096, 1\]/,
      );
    });
  });
});

describe('SpectrogramTokenizer', () => {
  test('cuts 3.2 s at 48 kHz into 9 x 16 patches of 16 frames x 5 mel bins', () => {
    const { patches, grid, logMel } = new SpectrogramTokenizer().tokenize(new Float32Array(153_600));
    expect(logMel.shape).toEqual([1, 151, 80]);
    expect(grid).toEqual([9, 16]);
    expect(patches.shape).toEqual([1, 144, 80]);
  });

  test('flattens each patch in (time, mel) order, tokens time-major, trailing frames dropped', () => {
    const c = golden.cases[0];
    const { waveform, shape } = goldenInput(c);
    const tokenizer = new SpectrogramTokenizer({ patchSize: [5, 8] });
    const { patches, grid, logMel } = tokenizer.tokenize(waveform, shape);
    const [, frames, mels] = logMel.shape; // 24 frames -> 4 patches of 5, 4 frames dropped
    expect(grid).toEqual([4, 10]);
    expect(patches.shape).toEqual([1, 40, 40]);
    let worst = 0;
    for (let i = 0; i < grid[0]; i++)
      for (let j = 0; j < grid[1]; j++)
        for (let t = 0; t < 5; t++)
          for (let f = 0; f < 8; f++) {
            const got = patches.data[(i * grid[1] + j) * 40 + t * 8 + f];
            const want = logMel.data[(i * 5 + t) * mels + j * 8 + f];
            worst = Math.max(worst, Math.abs(got - want));
          }
    expect(frames).toBe(24);
    expect(worst).toBeLessThan(1e-5); // float32 rounding of the float64 log-mel
  });

  test('patches every example of a batch', () => {
    const c = golden.cases[1];
    const { waveform, shape } = goldenInput(c);
    const { patches, grid } = new SpectrogramTokenizer({ patchSize: [2, 5] }).tokenize(waveform, shape);
    expect(grid).toEqual([1, 16]);
    expect(patches.shape).toEqual([2, 16, 10]);
    expect(maxAbsDiff(patches.data.subarray(160, 170), c.logMel.slice(160, 165).concat(c.logMel.slice(240, 245)))).toBeLessThan(1e-5);
  });

  test('rejects a mel count that the patch does not divide, and a clip shorter than one patch', () => {
    expect(() => new SpectrogramTokenizer({ nMels: 64 })).toThrow(/nMels 64 is not a multiple of the patch size mel=5/);
    expect(() => new SpectrogramTokenizer().tokenize(new Float32Array(4096))).toThrow(/waveform gives 5 spectrogram frames, fewer than one patch of 16 frames/);
  });
});
