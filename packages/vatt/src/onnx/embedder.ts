/**
 * One embedding API over both engines (browser-safe). An `Embedder` turns raw clips, waveforms and captions
 * into [AGG] features and S_va / S_vt embeddings; `engine: 'tfjs'` runs the tfjs model, `engine: 'onnx'` the
 * exported towers on onnxruntime. Preprocessing is the same JS code for both (`VattPreprocessor`'s
 * tokenizers), so the engines differ only in the forward pass (parity ≤ 1e-4, tested).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PreprocessingConfig, VattConfig } from '../config/experiment.js';
import {
  encodeAudioWithVt,
  encodeInBatches,
  encodeText,
  encodeVideo,
  type EncodeOptions,
  type EncodedText,
  type EncodedVideo,
  type Matrix,
} from '../model/encode.js';
import type { LoadedVatt } from '../model/from-checkpoint.js';
import { VattPreprocessor } from '../model/preprocess.js';
import type { OnnxTowers } from './engine.js';
import type { OnnxManifest, TowerName } from './manifest.js';

export type EmbedderEngine = 'tfjs' | 'onnx';
export const EMBEDDER_ENGINES: readonly EmbedderEngine[] = ['tfjs', 'onnx'];

/** Audio [AGG] features, S_va, and S_vt through the video's S_va -> S_vt map (FAC; for text-to-audio search). */
export interface EmbeddedAudio {
  features: Matrix;
  va: Matrix;
  vt: Matrix;
}

/**
 * Embeds raw media with one engine. Results are plain row-major matrices (one row per input), so nothing
 * stays on a backend between calls.
 */
export interface Embedder {
  readonly engine: EmbedderEngine;
  /** Where it runs, for logs (`tfjs wasm`, `onnxruntime-node cpu, 2 threads`). */
  readonly description: string;
  readonly config: VattConfig;
  readonly preprocessing: PreprocessingConfig;
  readonly preprocessor: VattPreprocessor;
  readonly vocab: readonly string[];
  /** Training step and seed of the weights, when known (the seed fixes the embedded dataset's split). */
  readonly training?: { step?: number; seed?: number };
  /** Clips `[T, H, W, 3]` at the preprocessing size (uint8 0-255, or float in [0, 1]) -> features, S_va, S_vt. */
  encodeVideo(clips: ReadonlyArray<Uint8Array | Float32Array>, opts?: EncodeOptions): Promise<EncodedVideo>;
  /** Mono waveforms at the preprocessing rate (cropped / zero-padded) -> features, S_va, S_vt. */
  encodeAudio(waves: readonly Float32Array[], opts?: EncodeOptions): Promise<EmbeddedAudio>;
  /** Captions -> features, S_vt. */
  encodeText(captions: readonly string[], opts?: EncodeOptions): Promise<EncodedText>;
  /** Frees the model or the sessions (and an on-the-fly export). */
  dispose(): Promise<void>;
}

/**
 * The tfjs engine: a loaded checkpoint's model on the current tfjs backend (eval mode).
 *
 * @example
 * const embedder = new TfjsEmbedder(await loadVatt('runs/a/checkpoints/ckpt-00000400'));
 * const { vt } = await embedder.encodeText(['a red circle moving left']);
 * await embedder.dispose();
 */
export class TfjsEmbedder implements Embedder {
  readonly engine = 'tfjs' as const;
  readonly training: { step?: number; seed?: number };
  private readonly ownsModel: boolean;
  readonly description: string;
  readonly config: VattConfig;
  readonly preprocessing: PreprocessingConfig;
  readonly preprocessor: VattPreprocessor;
  readonly vocab: readonly string[];

  constructor(
    readonly loaded: LoadedVatt,
    opts: { ownsModel?: boolean } = {},
  ) {
    this.config = loaded.config;
    this.preprocessing = loaded.preprocessing;
    this.preprocessor = loaded.preprocessor;
    this.vocab = loaded.vocab;
    this.description = `tfjs ${tf.getBackend()}`;
    this.ownsModel = opts.ownsModel ?? true;
    const t = loaded.training as { step?: unknown; seed?: unknown } | undefined;
    this.training = {
      ...(typeof t?.step === 'number' ? { step: t.step } : {}),
      ...(typeof t?.seed === 'number' ? { seed: t.seed } : {}),
    };
  }

  encodeVideo(clips: ReadonlyArray<Uint8Array | Float32Array>, opts: EncodeOptions = {}): Promise<EncodedVideo> {
    return encodeVideo(this.loaded.model, this.preprocessor, clips, opts);
  }

  /** Features, S_va, and S_vt through the video branch's va_to_vat (docs/numerics.md §5), as the ONNX audio graph does. */
  encodeAudio(waves: readonly Float32Array[], opts: EncodeOptions = {}): Promise<EmbeddedAudio> {
    return encodeAudioWithVt(this.loaded.model, this.preprocessor, waves, opts);
  }

  encodeText(captions: readonly string[], opts: EncodeOptions = {}): Promise<EncodedText> {
    return encodeText(this.loaded.model, this.preprocessor, captions, opts);
  }

  async dispose(): Promise<void> {
    if (this.ownsModel) this.loaded.model.dispose();
  }
}

/**
 * The onnxruntime engine: an exported folder's towers (see `OnnxTowers`), preprocessing in JS from its
 * manifest.
 *
 * @example
 * const embedder = new OnnxEmbedder(new OnnxTowers(ort, manifest, loadFile));
 * const video = await embedder.encodeVideo(clips, { batchSize: 8 }); // video.vt: [clips.length, d_vt]
 */
export class OnnxEmbedder implements Embedder {
  readonly engine = 'onnx' as const;
  readonly description: string;
  readonly config: VattConfig;
  readonly preprocessing: PreprocessingConfig;
  readonly preprocessor: VattPreprocessor;
  readonly vocab: readonly string[];
  readonly manifest: OnnxManifest;
  readonly training: { step?: number; seed?: number };

  constructor(
    readonly towers: OnnxTowers,
    private readonly onDispose?: () => Promise<void>,
  ) {
    this.manifest = towers.manifest;
    this.config = this.manifest.model;
    this.preprocessing = this.manifest.preprocessing;
    this.vocab = this.manifest.vocab;
    this.preprocessor = new VattPreprocessor(this.preprocessing, this.manifest.vocab);
    this.description = towers.description;
    this.training = {
      ...(this.manifest.source.step !== undefined ? { step: this.manifest.source.step } : {}),
      ...(this.manifest.source.seed !== undefined ? { seed: this.manifest.source.seed } : {}),
    };
  }

  private run<K extends string>(tower: TowerName, input: { data: Float32Array | Int32Array; dims: number[] }, keys: readonly K[]): Promise<Record<K, Matrix>> {
    return this.towers.run(tower, input.data, input.dims).then((out) => Object.fromEntries(keys.map((k) => [k, out[k]])) as Record<K, Matrix>);
  }

  encodeVideo(clips: ReadonlyArray<Uint8Array | Float32Array>, opts: EncodeOptions = {}): Promise<EncodedVideo> {
    return encodeInBatches(clips, opts, (b) => this.run('video', this.preprocessor.videoPatchArray(b), ['features', 'va', 'vt'] as const));
  }

  encodeAudio(waves: readonly Float32Array[], opts: EncodeOptions = {}): Promise<EmbeddedAudio> {
    return encodeInBatches(waves, opts, (b) => this.run('audio', this.preprocessor.audioPatchArray(b), ['features', 'va', 'vt'] as const));
  }

  encodeText(captions: readonly string[], opts: EncodeOptions = {}): Promise<EncodedText> {
    return encodeInBatches(captions, opts, (b) => this.run('text', this.preprocessor.textIdArray(b), ['features', 'vt'] as const));
  }

  async dispose(): Promise<void> {
    await this.towers.release();
    await this.onDispose?.();
  }
}
