import { checkPositiveInteger, patchifyArray, type NumericArray, type ShapedArray } from '../shapes.js';
import { LogMelSpectrogram, type LogMelOptions } from './log-mel-spectrogram.js';

/** Options of {@link SpectrogramTokenizer}: the log-mel settings plus the 2-D patch size. */
export interface SpectrogramTokenizerOptions extends LogMelOptions {
  /** Patch `[time frames, mel bins]`; default `[16, 5]` (docs/numerics.md §1.2, SpT). nMels must be a multiple. */
  patchSize?: readonly [number, number];
}

/** Output of {@link SpectrogramTokenizer.tokenize}. */
export interface SpectrogramTokens {
  /** Float32 patches `[B, N, patchTime * patchFreq]`, each flattened (time, mel), tokens time-major. */
  patches: ShapedArray<Float32Array>;
  /** `[frames / patchTime, nMels / patchFreq]`, N = product. */
  grid: [number, number];
  /** The full float64 log-mel `[B, frames, nMels]` the patches were cut from. */
  logMel: ShapedArray<Float64Array>;
}

const OWNER = 'SpectrogramTokenizer';

/**
 * Waveform -> log-mel -> 2-D patches, the spectrogram ("SpT") audio input of the paper's ablation
 * (docs/numerics.md §1.2): 80 log-mel bins from a 2048-sample STFT with hop 1024 at 48 kHz (see
 * {@link LogMelOptions} for the exact numerics), cut into `16 x 5` (time x mel) patches as the official
 * `Conv2D(kernel = stride = (16, 5), padding='valid')` does — so trailing frames that do not fill a whole
 * patch are dropped (3.2 s at 48 kHz: 151 frames -> 9 x 16 = 144 tokens).
 *
 * Runs on typed arrays in plain JavaScript (float64 STFT); wrap the patches with `toTensor` for a model.
 *
 * @example
 * const tokenizer = new SpectrogramTokenizer();
 * const { patches, grid } = tokenizer.tokenize(new Float32Array(153_600));
 * // grid = [9, 16], patches.shape = [1, 144, 80]
 */
export class SpectrogramTokenizer {
  /** The log-mel front end. */
  readonly logMel: LogMelSpectrogram;
  /** Patch `[time frames, mel bins]`. */
  readonly patchSize: readonly [number, number];

  constructor(options: SpectrogramTokenizerOptions = {}) {
    const { patchSize = [16, 5], ...logMelOptions } = options;
    this.logMel = new LogMelSpectrogram(logMelOptions);
    if (!Array.isArray(patchSize) || patchSize.length !== 2) {
      throw new Error(`${OWNER}: patchSize must be [time, mel]; got ${String(patchSize)}`);
    }
    checkPositiveInteger(OWNER, 'patchSize time', patchSize[0]);
    checkPositiveInteger(OWNER, 'patchSize mel', patchSize[1]);
    if (this.logMel.nMels % patchSize[1] !== 0) {
      throw new Error(`${OWNER}: nMels ${this.logMel.nMels} is not a multiple of the patch size mel=${patchSize[1]}`);
    }
    this.patchSize = [patchSize[0], patchSize[1]];
  }

  /** Tokenizes a waveform `[S]` or `[B, S]` (shape defaults to `[length]`). */
  tokenize(waveform: NumericArray, shape?: readonly number[]): SpectrogramTokens {
    const logMel = this.logMel.compute(waveform, shape);
    const [batch, frames, nMels] = logMel.shape;
    const [pt, pf] = this.patchSize;
    const usedFrames = frames - (frames % pt);
    if (usedFrames === 0) {
      throw new Error(
        `${OWNER}: waveform gives ${frames} spectrogram frames, fewer than one patch of ${pt} frames; ` + `give a longer waveform or a smaller patchSize`,
      );
    }
    // Drop trailing frames per example, then cut the [B, frames, mels, 1] array into patches.
    const kept = new Float64Array(batch * usedFrames * nMels);
    for (let b = 0; b < batch; b++) {
      kept.set(logMel.data.subarray(b * frames * nMels, (b * frames + usedFrames) * nMels), b * usedFrames * nMels);
    }
    const patches = patchifyArray(kept, [batch, usedFrames, nMels, 1], [pt, pf]);
    return { patches, grid: [usedFrames / pt, nMels / pf], logMel };
  }
}
