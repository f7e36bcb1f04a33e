import FFT from 'fft.js';
import { checkArrayShape, checkPositiveInteger, shapeText, type NumericArray, type ShapedArray } from '../shapes.js';

/**
 * Options of {@link LogMelSpectrogram}. The defaults are the spectrogram ablation of docs/numerics.md §1.2
 * (48 kHz, 2048-sample window and FFT, hop 1024, 80 mel bins) computed the way
 * `torchaudio.transforms.MelSpectrogram` computes by default: periodic Hann window, `center=true` with
 * reflect padding, power 2, HTK mel scale from 0 Hz to Nyquist, triangular filters without area
 * normalisation; then `ln(mel + logOffset)`.
 *
 * The official TensorFlow path (`data/processing.py make_spectrogram`) differs: no centering (frames padded
 * at the end), magnitude (power 1), `tf.signal.linear_to_mel_weight_matrix` between 80 and 7600 Hz (triangles
 * in mel space), `log(1 + 10000 * mel)`, then min-max to [0, 1]. `power: 1`, `center: false`, `fMin: 80`,
 * `fMax: 7600`, `normalize: 'minmax'` come close; the filter shapes are not identical.
 */
export interface LogMelOptions {
  /** Sample rate in Hz; default 48000. */
  sampleRate?: number;
  /** FFT size and window length in samples (a power of two); default 2048 (42.67 ms at 48 kHz). */
  nFft?: number;
  /** Hop between frames in samples; default 1024 (21.33 ms at 48 kHz). */
  hopLength?: number;
  /** Number of mel bins; default 80. */
  nMels?: number;
  /** Lowest filter edge in Hz; default 0. */
  fMin?: number;
  /** Highest filter edge in Hz; default `floor(sampleRate / 2)` (torchaudio's `float(sample_rate // 2)`). */
  fMax?: number;
  /** Exponent of the magnitude: 2 = power spectrogram (default), 1 = magnitude. */
  power?: number;
  /** Pad `nFft/2` samples on both sides by reflection so frame k is centred on sample `k*hop`; default true. */
  center?: boolean;
  /** `ln(mel + logOffset)`; default 1e-6. */
  logOffset?: number;
  /** `'minmax'` rescales each example's log-mel to [0, 1] (the official `normalize_spectrogram`); default `'none'`. */
  normalize?: 'none' | 'minmax';
}

const OWNER = 'LogMelSpectrogram';

/** Periodic Hann window of length n, `0.5 - 0.5 cos(2 pi i / n)` (torch.hann_window's default). */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** HTK mel scale. */
function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

/** n evenly spaced points from start to end inclusive (torch.linspace's symmetric evaluation). */
function linspace(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const step = n > 1 ? (end - start) / (n - 1) : 0;
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
  return out;
}

/**
 * Triangular mel filterbank `[nFft/2 + 1, nMels]` (row-major), as torchaudio's `melscale_fbanks` with the HTK
 * scale and no normalisation: `nMels + 2` points evenly spaced in mel between fMin and fMax, converted to Hz;
 * filter m rises linearly (in Hz) from point m to m+1 and falls to point m+2. The FFT bin frequencies are
 * `linspace(0, floor(sampleRate / 2), nFft/2 + 1)`, torchaudio's choice.
 */
export function melFilterbank(options: { nFft: number; nMels: number; sampleRate: number; fMin: number; fMax: number }): Float64Array {
  const { nFft, nMels, sampleRate, fMin, fMax } = options;
  const nFreqs = nFft / 2 + 1;
  const binHz = linspace(0, Math.floor(sampleRate / 2), nFreqs);
  const edgesHz = linspace(hzToMel(fMin), hzToMel(fMax), nMels + 2).map(melToHz);
  const fb = new Float64Array(nFreqs * nMels);
  for (let m = 0; m < nMels; m++) {
    const lower = edgesHz[m];
    const centre = edgesHz[m + 1];
    const upper = edgesHz[m + 2];
    for (let k = 0; k < nFreqs; k++) {
      const rising = (binHz[k] - lower) / (centre - lower);
      const falling = (upper - binHz[k]) / (upper - centre);
      fb[k * nMels + m] = Math.max(0, Math.min(rising, falling));
    }
  }
  return fb;
}

/**
 * Waveform -> log-mel spectrogram in float64, the STFT done by fft.js. Build once, call {@link compute} per
 * clip (the window, filterbank and FFT tables are reused). See {@link LogMelOptions} for the numerics.
 *
 * @example
 * const logMel = new LogMelSpectrogram(); // 48 kHz, 2048/1024, 80 bins
 * const { data, shape } = logMel.compute(new Float32Array(153_600));
 * // shape = [1, 151, 80] ([B, frames, mels]; frames = 1 + floor(S / hop) with center=true)
 */
export class LogMelSpectrogram {
  readonly sampleRate: number;
  readonly nFft: number;
  readonly hopLength: number;
  readonly nMels: number;
  readonly fMin: number;
  readonly fMax: number;
  readonly power: number;
  readonly center: boolean;
  readonly logOffset: number;
  readonly normalize: 'none' | 'minmax';
  /** The periodic Hann window, length nFft. */
  readonly window: Float64Array;
  /** The mel filterbank `[nFft/2 + 1, nMels]`. */
  readonly filterbank: Float64Array;
  private readonly fft: FFT;

  constructor(options: LogMelOptions = {}) {
    this.sampleRate = options.sampleRate ?? 48000;
    this.nFft = options.nFft ?? 2048;
    this.hopLength = options.hopLength ?? 1024;
    this.nMels = options.nMels ?? 80;
    this.fMin = options.fMin ?? 0;
    this.fMax = options.fMax ?? Math.floor(this.sampleRate / 2);
    this.power = options.power ?? 2;
    this.center = options.center ?? true;
    this.logOffset = options.logOffset ?? 1e-6;
    this.normalize = options.normalize ?? 'none';
    checkPositiveInteger(OWNER, 'nFft', this.nFft);
    if (this.nFft < 2 || (this.nFft & (this.nFft - 1)) !== 0) {
      throw new Error(`${OWNER}: nFft must be a power of two >= 2 (fft.js); got ${this.nFft}`);
    }
    checkPositiveInteger(OWNER, 'hopLength', this.hopLength);
    checkPositiveInteger(OWNER, 'nMels', this.nMels);
    if (!(this.sampleRate > 0)) throw new Error(`${OWNER}: sampleRate must be > 0; got ${this.sampleRate}`);
    if (!(this.fMin >= 0 && this.fMin < this.fMax && this.fMax <= this.sampleRate / 2)) {
      throw new Error(`${OWNER}: need 0 <= fMin < fMax <= sampleRate/2; got fMin=${this.fMin}, fMax=${this.fMax}, sampleRate=${this.sampleRate}`);
    }
    if (!(this.power > 0)) throw new Error(`${OWNER}: power must be > 0; got ${this.power}`);
    if (!(this.logOffset > 0)) throw new Error(`${OWNER}: logOffset must be > 0; got ${this.logOffset}`);
    if (this.normalize !== 'none' && this.normalize !== 'minmax') {
      throw new Error(`${OWNER}: normalize must be 'none' or 'minmax'; got ${String(this.normalize)}`);
    }
    this.window = hannWindow(this.nFft);
    this.filterbank = melFilterbank(this);
    this.fft = new FFT(this.nFft);
  }

  /** Number of STFT frames for a waveform of `length` samples. */
  numFrames(length: number): number {
    if (this.center) return 1 + Math.floor(length / this.hopLength);
    return length < this.nFft ? 0 : 1 + Math.floor((length - this.nFft) / this.hopLength);
  }

  /**
   * Log-mel of a waveform `[S]` or `[B, S]` (shape defaults to `[length]`): float64 `[B, frames, nMels]`,
   * time-major (torchaudio returns `[..., n_mels, time]`; VATT's 2-D audio input is `[time, mel]`).
   */
  compute(waveform: NumericArray, shape?: readonly number[]): ShapedArray<Float64Array> {
    const arrayShape = shape ?? [waveform.length];
    checkArrayShape(OWNER, 'waveform', waveform, arrayShape);
    if (arrayShape.length !== 1 && arrayShape.length !== 2) {
      throw new Error(`${OWNER}: waveform must have shape [S] or [B, S]; got ${shapeText(arrayShape)}`);
    }
    const [batch, length] = arrayShape.length === 1 ? [1, arrayShape[0]] : [arrayShape[0], arrayShape[1]];
    const pad = this.center ? this.nFft / 2 : 0;
    if (this.center && length <= pad) {
      throw new Error(`${OWNER}: waveform has ${length} samples; reflect padding (center=true) needs more than nFft/2=${pad}`);
    }
    const frames = this.numFrames(length);
    if (frames < 1) {
      throw new Error(`${OWNER}: waveform has ${length} samples; center=false needs at least nFft=${this.nFft}`);
    }
    const { nFft, nMels, hopLength, window, filterbank } = this;
    const nFreqs = nFft / 2 + 1;
    const out = new Float64Array(batch * frames * nMels);
    const segment = new Float64Array(nFft);
    const spectrum = new Float64Array(2 * nFft);
    const power = new Float64Array(nFreqs);
    for (let b = 0; b < batch; b++) {
      const base = b * length;
      for (let f = 0; f < frames; f++) {
        const start = f * hopLength - pad;
        for (let i = 0; i < nFft; i++) {
          let j = start + i;
          if (j < 0)
            j = -j; // reflect, edge sample not repeated (torch pad_mode='reflect')
          else if (j >= length) j = 2 * (length - 1) - j;
          segment[i] = waveform[base + j] * window[i];
        }
        this.fft.realTransform(spectrum, segment); // fills bins 0..nFft/2 (interleaved re, im)
        for (let k = 0; k < nFreqs; k++) {
          const magnitude = Math.hypot(spectrum[2 * k], spectrum[2 * k + 1]);
          power[k] = this.power === 1 ? magnitude : magnitude ** this.power;
        }
        const row = (b * frames + f) * nMels;
        for (let k = 0; k < nFreqs; k++) {
          const p = power[k];
          if (p === 0) continue;
          const fbRow = k * nMels;
          for (let m = 0; m < nMels; m++) out[row + m] += p * filterbank[fbRow + m];
        }
        for (let m = 0; m < nMels; m++) out[row + m] = Math.log(out[row + m] + this.logOffset);
      }
      if (this.normalize === 'minmax') minMaxNormalize(out.subarray(b * frames * nMels, (b + 1) * frames * nMels));
    }
    return { data: out, shape: [batch, frames, nMels] };
  }
}

/** In place to [0, 1]; a constant example becomes 0 (the official `divide_no_nan`). */
function minMaxNormalize(x: Float64Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  for (let i = 0; i < x.length; i++) x[i] = range > 0 ? (x[i] - lo) / range : 0;
}
