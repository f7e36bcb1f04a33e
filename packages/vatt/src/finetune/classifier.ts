/**
 * Fine-tuning classifiers on a VATT backbone (docs/numerics.md §8.1-§8.3).
 *
 * - `VideoClassifier` (Kinetics, MiT, and ImageNet as single-frame videos): the ViT video tower ->
 *   Dropout(0.5) -> Dense(C, glorot_normal) -> logits (softmax cross-entropy with label smoothing 0.1).
 * - `AudioClassifier` (AudioSet, multi-label): the WaT audio tower -> Dropout(0.0) ->
 *   Dense(C, glorot_uniform, bias -log(C-1)) -> logits (sigmoid BCE, class-count weighting).
 *
 * Weight names: `video/...` or `audio/...` (the VATT checkpoint names of the tower; a modality-agnostic
 * model's shared encoder becomes the tower's own `tx`) and `classifier/{kernel,bias}`.
 *
 * A backbone built for another input size (e.g. 224 -> 320 px, 8+14+14 -> 8+20+20 buckets) receives
 * its positional tables spline-resampled (`transferBackboneWeights`, docs/numerics.md §2.1 `restore.interpolate_pos`).
 *
 * @example
 * const clf = VideoClassifier.fromVatt(vatt, { numClasses: 400 });
 * const logits = clf.apply(patches, grid); // [B, 400]
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AudioTransformer,
  Dense,
  Dropout,
  initializers,
  Module,
  resamplePositions,
  VideoTransformer,
  type AudioBackboneConfig,
  type VideoBackboneConfig,
} from '@vatt/transformer';
import type { VATT } from '../model/vatt.js';

export interface ClassifierOptions {
  numClasses: number;
  /** Dropout before the classifier (default 0.5 video, 0.0 audio: the official heads). */
  dropout?: number;
  /**
   * Keep DropToken on in fine-tuning (default false: the paper's recipe; the public Finetune config
   * leaves it on, docs/numerics.md §11.3).
   */
  dropToken?: boolean;
}

/** What a classifier checkpoint stores to rebuild the module. */
export interface ClassifierConfig {
  kind: 'video-classifier' | 'audio-classifier';
  backbone: VideoBackboneConfig | AudioBackboneConfig;
  numClasses: number;
  dropout: number;
}

function backboneWithoutDropToken<C extends VideoBackboneConfig | AudioBackboneConfig>(cfg: C, keep: boolean): C {
  return keep ? { ...cfg } : { ...cfg, dropTokenKeepRate: null };
}

abstract class BackboneClassifier extends Module {
  abstract readonly backbone: VideoTransformer | AudioTransformer;
  readonly dropout: Dropout;
  readonly classifier: Dense;

  protected constructor(
    name: string,
    readonly config: ClassifierConfig,
    dModel: number,
    kernelInit: initializers.Initializer,
    biasInit: initializers.Initializer,
  ) {
    super(name);
    if (!(Number.isInteger(config.numClasses) && config.numClasses >= 2))
      throw new Error(`${name}: numClasses must be an integer >= 2, got ${config.numClasses}`);
    this.dropout = this.child(new Dropout(config.dropout, 'dropout'));
    this.classifier = this.child(new Dense('classifier', dModel, config.numClasses, { kernelInit, biasInit }));
  }

  /** Name prefix of the backbone weights (`video/` or `audio/`): the ones whose gradients are clipped. */
  get backbonePrefix(): string {
    return `${this.backbone.name}/`;
  }

  protected head(pooled: tf.Tensor): tf.Tensor2D {
    return this.classifier.apply(this.dropout.apply(pooled)) as tf.Tensor2D;
  }
}

/** Video tower + Dropout(0.5) + Dense(C, glorot_normal). Images are single-frame videos (`tileImage`). */
export class VideoClassifier extends BackboneClassifier {
  readonly backbone: VideoTransformer;

  constructor(backbone: VideoBackboneConfig, opts: ClassifierOptions) {
    const config: ClassifierConfig = {
      kind: 'video-classifier',
      backbone: backboneWithoutDropToken(backbone, opts.dropToken ?? false),
      numClasses: opts.numClasses,
      dropout: opts.dropout ?? 0.5,
    };
    super('video_classifier', config, backbone.postProjectionDim ?? backbone.dModel, initializers.glorotNormal, initializers.zeros);
    this.backbone = this.child(new VideoTransformer(config.backbone as VideoBackboneConfig, { name: 'video' }));
  }

  /** A classifier on `model`'s video tower (weights copied; positions resampled if `input` changes the grid). */
  static fromVatt(model: VATT, opts: ClassifierOptions & { input?: VideoBackboneConfig['input'] }): VideoClassifier {
    const cfg = { ...model.video.config, ...(opts.input ? { input: opts.input } : {}) } as VideoBackboneConfig;
    const clf = new VideoClassifier(cfg, opts);
    transferBackboneWeights(model, model.video, clf.backbone);
    return clf;
  }

  /** Voxel patches [B, N, P] (+ grid) -> logits [B, C]. */
  apply(patches: tf.Tensor3D, grid?: readonly number[]): tf.Tensor2D {
    return tf.tidy(() => this.head(this.backbone.apply(patches, grid ? { grid } : {}).pooled));
  }
}

/** Audio tower + Dropout(0) + Dense(C, glorot_uniform, bias -log(C-1)): AudioSet's multi-label head. */
export class AudioClassifier extends BackboneClassifier {
  readonly backbone: AudioTransformer;

  constructor(backbone: AudioBackboneConfig, opts: ClassifierOptions) {
    const config: ClassifierConfig = {
      kind: 'audio-classifier',
      backbone: backboneWithoutDropToken(backbone, opts.dropToken ?? false),
      numClasses: opts.numClasses,
      dropout: opts.dropout ?? 0,
    };
    // Bias -log(C-1): every class starts at probability 1/C (docs/numerics.md §8.2).
    super(
      'audio_classifier',
      config,
      backbone.postProjectionDim ?? backbone.dModel,
      initializers.glorotUniform,
      initializers.constant(-Math.log(Math.max(1, opts.numClasses - 1))),
    );
    this.backbone = this.child(new AudioTransformer(config.backbone as AudioBackboneConfig, { name: 'audio' }));
  }

  static fromVatt(model: VATT, opts: ClassifierOptions & { input?: AudioBackboneConfig['input'] }): AudioClassifier {
    const cfg = { ...model.audio.config, ...(opts.input ? { input: opts.input } : {}) } as AudioBackboneConfig;
    const clf = new AudioClassifier(cfg, opts);
    transferBackboneWeights(model, model.audio, clf.backbone);
    return clf;
  }

  /** Waveform patches [B, N, 128] -> logits [B, C]. */
  apply(patches: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => this.head(this.backbone.apply(patches).pooled));
  }
}

/** Rebuilds a classifier from a `ClassifierConfig` (checkpoints). */
export function classifierFromConfig(config: ClassifierConfig): VideoClassifier | AudioClassifier {
  const opts = { numClasses: config.numClasses, dropout: config.dropout, dropToken: config.backbone.dropTokenKeepRate !== null };
  if (config.kind === 'video-classifier') return new VideoClassifier(config.backbone as VideoBackboneConfig, opts);
  if (config.kind === 'audio-classifier') return new AudioClassifier(config.backbone as AudioBackboneConfig, opts);
  throw new Error(`classifierFromConfig: kind must be "video-classifier" or "audio-classifier", got "${(config as ClassifierConfig).kind}"`);
}

/**
 * Copies a VATT tower's weights into a standalone backbone of the same architecture. The shared
 * encoder of VATT-MA supplies `tx/...`. Positional tables whose bucket count differs are resampled
 * with the official spline (docs/numerics.md §2.1); any other shape mismatch is an error.
 */
export function transferBackboneWeights(model: VATT, tower: Module, target: Module): void {
  const own = new Map(tower.namedParameters());
  const shared = new Map(model.sharedEncoder ? model.sharedEncoder.namedParameters() : []);
  const weights: Record<string, tf.Tensor> = {};
  const made: tf.Tensor[] = [];
  for (const [name, v] of target.namedParameters()) {
    const src = own.get(name) ?? (name.startsWith('tx/') ? shared.get(name.slice(3)) : undefined);
    if (!src) throw new Error(`transferBackboneWeights: the VATT ${tower.name} tower has no weight "${name}"`);
    if (src.shape.join() === v.shape.join()) weights[name] = src;
    else if (/pos_embedding_lookup\/[^/]+\/embeddings$/.test(name) && src.rank === 2 && src.shape[1] === v.shape[1]) {
      const t = resamplePositions(src as tf.Tensor2D, v.shape[0]);
      made.push(t);
      weights[name] = t;
    } else throw new Error(`transferBackboneWeights: "${name}" has shape [${src.shape}] in the VATT model but [${v.shape}] in the classifier`);
  }
  target.loadWeights(weights);
  tf.dispose(made);
}
