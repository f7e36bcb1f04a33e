/**
 * The model's preprocessing, rebuilt from a checkpoint's `PreprocessingConfig` and vocabulary:
 * raw frames (uint8 RGB [T,H,W,3]) -> voxel patches, waveforms -> 128-sample patches, captions -> ids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SpectrogramTokenizer, VideoTokenizer, Vocabulary, WaveformTokenizer, WordTokenizer } from '@vatt/tokenizers';
import type { PreprocessingConfig } from '../config/experiment.js';
import { candidateCaptions } from '../data/clips.js';
import type { PretrainBatch } from './vatt.js';

/**
 * Raw media to model inputs for one model size.
 *
 * @example
 * const pre = new VattPreprocessor(getPreset('tiny').preprocessing, vocab);
 * const { patches, grid } = pre.videoPatches([clip.video]); // [1, N, t*h*w*3], [T/t, H/h, W/w]
 * const audio = pre.audioPatches([clip.audio]);              // [1, S/128, 128]
 * const ids = pre.textIds(['a red circle moving left']);     // [1, maxTokens] int32
 */
export class VattPreprocessor {
  readonly video: VideoTokenizer;
  /** For float frames in [0, 1] (what @vatt/data's loader produces). */
  readonly videoUnit: VideoTokenizer;
  readonly audio: WaveformTokenizer;
  /** The log-mel front end, when the preprocessing asks for spectrogram patches (SpT). */
  readonly spectrogram?: SpectrogramTokenizer;
  readonly words: WordTokenizer;
  readonly vocabulary: Vocabulary;

  constructor(
    readonly config: PreprocessingConfig,
    vocabulary: Vocabulary | readonly string[],
  ) {
    this.vocabulary = vocabulary instanceof Vocabulary ? vocabulary : new Vocabulary(vocabulary);
    this.video = new VideoTokenizer({ patchSize: config.video.patchSize, inputRange: 'uint8' });
    this.videoUnit = new VideoTokenizer({ patchSize: config.video.patchSize, inputRange: 'unit' });
    this.audio = new WaveformTokenizer({ patchSize: config.audio.patchSize, numSamples: config.audio.samples });
    const spec = config.audio.spectrogram;
    if (spec) this.spectrogram = new SpectrogramTokenizer({ sampleRate: config.audio.sampleRate, ...spec, patchSize: [spec.patchSize[0], spec.patchSize[1]] });
    this.words = new WordTokenizer(this.vocabulary, { maxLength: config.text.maxTokens, allowEmpty: true });
  }

  /**
   * Clips of frames, each [T,H,W,3] of the configured size -> patches [B, N, P] (as a typed array with its
   * dims) and the grid. uint8 frames are 0-255; float frames are in [0, 1] (the data loader's output). All
   * clips must be of one type. What `videoPatches` and the onnxruntime engine feed the video tower.
   */
  videoPatchArray(clips: ReadonlyArray<Uint8Array | Float32Array>): { data: Float32Array; dims: number[]; grid: [number, number, number] } {
    const { frames, height, width } = this.config.video;
    const per = frames * height * width * 3;
    if (!clips.length) throw new Error('videoPatches: no clips given');
    const float = clips[0] instanceof Float32Array;
    if (clips.some((c) => c instanceof Float32Array !== float)) throw new Error('videoPatches: mix of uint8 and float clips');
    const all = float ? new Float32Array(per * clips.length) : new Uint8Array(per * clips.length);
    clips.forEach((c, i) => {
      if (c.length !== per) throw new Error(`videoPatches: clip ${i} has ${c.length} values, expected ${frames}x${height}x${width}x3 = ${per}`);
      all.set(c, i * per);
    });
    const { patches, grid } = (float ? this.videoUnit : this.video).tokenize(all, [clips.length, frames, height, width, 3]);
    return { data: patches.data, dims: [...patches.shape], grid: [...grid] as [number, number, number] };
  }

  /** `videoPatchArray` as a tensor [B, N, P] (owned by the caller), with the grid. */
  videoPatches(clips: ReadonlyArray<Uint8Array | Float32Array>): { patches: tf.Tensor3D; grid: [number, number, number] } {
    const { data, dims, grid } = this.videoPatchArray(clips);
    return { patches: tf.tensor3d(data, dims as [number, number, number]), grid };
  }

  /**
   * Mono waveforms (cropped / zero-padded to the configured length) -> patches [B, N, 128], or with a
   * spectrogram config, log-mel patches [B, T'·F', t·f] (time-major tokens, as the SpT positions), as a typed
   * array with its dims.
   */
  audioPatchArray(waves: readonly Float32Array[]): { data: Float32Array; dims: number[] } {
    const n = this.config.audio.samples;
    if (!waves.length) throw new Error('audioPatches: no waveforms given');
    const all = new Float32Array(n * waves.length);
    waves.forEach((w, i) => all.set(w.length > n ? w.subarray(0, n) : w, i * n));
    const { patches } = (this.spectrogram ?? this.audio).tokenize(all, [waves.length, n]);
    return { data: patches.data, dims: [...patches.shape] };
  }

  /** `audioPatchArray` as a tensor (owned by the caller). */
  audioPatches(waves: readonly Float32Array[]): tf.Tensor3D {
    const { data, dims } = this.audioPatchArray(waves);
    return tf.tensor3d(data, dims as [number, number, number]);
  }

  /** Captions -> ids [B, L] (0 = padding) as an Int32Array with its dims. Empty captions give an all-padding row. */
  textIdArray(captions: readonly string[]): { data: Int32Array; dims: number[] } {
    if (!captions.length) throw new Error('textIds: no captions given');
    const { data, shape } = this.words.tokenize(captions);
    return { data, dims: [...shape] };
  }

  /** `textIdArray` as an int32 tensor (owned by the caller). */
  textIds(captions: readonly string[]): tf.Tensor2D {
    const { data, dims } = this.textIdArray(captions);
    return tf.tensor2d(data, dims as [number, number], 'int32');
  }

  /**
   * A pretraining batch of clips (frames, waveform, captions each): video and audio patches and the K
   * candidate captions of every clip (a clip with fewer repeats them; one with none gets padding, which
   * `textMask` 0 leaves out of the video-text loss). Tensors owned by the caller.
   */
  pretrainBatch(
    clips: ReadonlyArray<{ video: Uint8Array | Float32Array; audio: Float32Array; captions: readonly string[] }>,
    textMask?: ArrayLike<number>,
  ): PretrainBatch {
    const { patches, grid } = this.videoPatches(clips.map((c) => c.video));
    return {
      videoPatches: patches,
      videoGrid: grid,
      audioPatches: this.audioPatches(clips.map((c) => c.audio)),
      textIds: this.textIds(
        candidateCaptions(
          clips.map((c) => c.captions),
          this.config.text.numCandidates,
        ),
      ),
      ...(textMask ? { textMask: tf.tensor1d(Array.from(textMask), 'float32') } : {}),
    };
  }
}
