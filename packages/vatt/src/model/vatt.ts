/**
 * The VATT model: video, audio and text encoders (three towers, or one shared Transformer in the
 * modality-agnostic variant) and the FAC projection head into the video-audio space S_va (512) and the
 * video-text space S_vt (256). Parameter names follow the official checkpoint layout below the
 * modality prefix: `video/voxel_to_patch/kernel`, `video/tx/layers/3/mha/q/kernel`, `audio/wave_to_patch/...`,
 * `text/base_lm/...`, `head/vid_to_hid/kernel`; the shared encoder of VATT-MA is `tx/...`.
 *
 * Inputs are tokenizer outputs (`VattPreprocessor` turns raw frames, waveforms and captions into them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { vattPretrainLossTerms } from '@vatt/losses';
import { AudioTransformer, EncoderStack, ModalityAgnosticText, Module, TextTransformer, TransformerEncoder, VideoTransformer } from '@vatt/transformer';
import type { VattConfig } from '../config/experiment.js';
import { FacHead } from './fac-head.js';

/** What `embedVideo` returns: [AGG] features `[B, d]` and the S_va / S_vt projections. */
export interface VideoEmbeddings {
  /** [AGG] output of the video encoder, [B, d_video]. */
  features: tf.Tensor2D;
  /** Video in S_va, [B, d_va]. */
  va: tf.Tensor2D;
  /** Video in S_vt, [B, d_vt]. */
  vt: tf.Tensor2D;
}
/** What `embedAudio` returns: [AGG] features `[B, d]` and the S_va projection. */
export interface AudioEmbeddings {
  features: tf.Tensor2D;
  va: tf.Tensor2D;
}
/** What `embedText` returns: [AGG] features `[B, d]` and the S_vt projection. */
export interface TextEmbeddings {
  features: tf.Tensor2D;
  vt: tf.Tensor2D;
}

/** One pretraining batch of tokenizer outputs. */
export interface PretrainBatch {
  /** Video voxel patches [B, N, t*h*w*3]. */
  videoPatches: tf.Tensor3D;
  /** Patch grid [T/t, H/h, W/w]. */
  videoGrid: [number, number, number];
  /** Waveform patches [B, S/128, 128]. */
  audioPatches: tf.Tensor3D;
  /** Caption ids [B*K, L]; rows j*K..j*K+K-1 are the K candidate narrations of clip j (0 = padding). */
  textIds: tf.Tensor2D;
  /** [B] 0/1: clips without text take part in the video-audio NCE only. */
  textMask?: tf.Tensor1D;
}

/** The four embeddings the pretraining loss compares (docs/numerics.md §6): a batch's, or a chunk's of it. */
export interface PretrainEmbeddings {
  /** Video in S_va, [B, d_va]. */
  videoVa: tf.Tensor2D;
  /** Audio in S_va, [B, d_va]. */
  audioVa: tf.Tensor2D;
  /** Video in S_vt, [B, d_vt]. */
  videoVt: tf.Tensor2D;
  /** The K candidate captions of each clip in S_vt, [B·K, d_vt] (rows j·K..j·K+K-1 are clip j's). */
  textVt: tf.Tensor2D;
}

/** The pretraining loss (docs/numerics.md §6) and its two terms. */
export interface LossTerms {
  total: tf.Scalar;
  /** NCE(video, audio) in S_va. */
  lossVa: tf.Scalar;
  /** MIL-NCE(video, K captions) in S_vt. */
  lossVt: tf.Scalar;
}

/**
 * The Video-Audio-Text Transformer (paper section 3; docs/numerics.md §2-§5): a video, an audio and a
 * text backbone (modality-specific), or one shared encoder for all three (`variant: 'modality-agnostic'`),
 * and the FAC head that projects video and audio into S_va and video and text into S_vt.
 *
 * @example
 * const { model: config, preprocessing } = getPreset('tiny');
 * const vatt = new VATT(config);
 * const pre = new VattPreprocessor(preprocessing, vocab);
 * const ids = pre.textIds(['a red circle moving left']);
 * const { vt } = vatt.embedText(ids); // [1, d_vt]
 * vatt.countParams(); // 424608
 */
export class VATT extends Module {
  readonly video: VideoTransformer;
  readonly audio: AudioTransformer;
  readonly text: TextTransformer | ModalityAgnosticText;
  readonly head: FacHead;
  /** The shared encoder of the modality-agnostic variant. */
  readonly sharedEncoder?: TransformerEncoder;

  constructor(readonly config: VattConfig) {
    super('vatt');
    const c = config;
    if (c.variant === 'modality-agnostic') {
      const v = c.video;
      if (c.audio.dModel !== v.dModel) throw new Error(`VATT-MA: audio dModel ${c.audio.dModel} must equal the shared encoder's ${v.dModel}`);
      this.sharedEncoder = this.child(
        new TransformerEncoder('tx', {
          numLayers: v.numLayers,
          dModel: v.dModel,
          numHeads: v.numHeads,
          dKv: v.dKv,
          dFF: v.dFF,
          dropout: v.dropout,
          attnDropout: v.attnDropout,
          lnEps: v.lnEps,
          useBias: v.useBias,
          preNorm: true,
        }),
      );
      // Per-modality pre/post projections (Dense d->d GELU) around the shared stack (docs/numerics.md §3.3).
      const ma = { preProjection: true, postProjectionDim: v.dModel };
      this.video = this.child(new VideoTransformer({ ...c.video, ...ma }, { name: 'video', encoder: this.sharedEncoder }));
      this.audio = this.child(new AudioTransformer({ ...c.audio, ...ma }, { name: 'audio', encoder: this.sharedEncoder }));
      this.text = this.child(new ModalityAgnosticText(c.text, this.sharedEncoder, 'text'));
    } else if (c.variant === 'modality-specific') {
      this.video = this.child(new VideoTransformer(c.video, { name: 'video' }));
      this.audio = this.child(new AudioTransformer(c.audio, { name: 'audio' }));
      this.text = this.child(new TextTransformer(c.text, { name: 'text' }));
    } else {
      throw new Error(`VATT: variant must be "modality-specific" or "modality-agnostic", got "${(c as VattConfig).variant}"`);
    }
    const dims = {
      videoDim: this.outDim(this.video.config.dModel, this.video.config.postProjectionDim),
      audioDim: this.outDim(this.audio.config.dModel, this.audio.config.postProjectionDim),
      textDim: c.variant === 'modality-agnostic' ? c.video.dModel : this.outDim(c.text.dModel, c.text.postProjectionDim),
    };
    this.head = this.child(new FacHead({ ...c.head, ...dims }, 'head'));
  }

  /**
   * Activation checkpointing of every encoder layer in training passes (the video and audio towers,
   * the T5 text encoder, the modality-agnostic encoder): ~1.3x the compute for a fraction of the
   * backprop memory. Returns the number of encoders switched.
   */
  setCheckpointing(on: boolean): number {
    let n = 0;
    for (const m of new Set(this.modules())) {
      if (m instanceof EncoderStack) {
        m.setCheckpointing(on);
        n++;
      }
    }
    return n;
  }

  private outDim(d: number, post: number | null): number {
    return post ?? d;
  }

  /** Video patches [B, N, P] (+ grid) -> [AGG] features and the S_va / S_vt embeddings. */
  embedVideo(patches: tf.Tensor3D, grid?: readonly number[]): VideoEmbeddings {
    return tf.tidy(() => {
      const { pooled } = this.video.apply(patches, grid ? { grid } : {});
      const { va, vt } = this.head.video(pooled);
      return { features: pooled, va: va as tf.Tensor2D, vt: vt as tf.Tensor2D };
    });
  }

  /** Waveform patches [B, N, 128] -> [AGG] features and S_va. */
  embedAudio(patches: tf.Tensor3D): AudioEmbeddings {
    return tf.tidy(() => {
      const { pooled } = this.audio.apply(patches);
      return { features: pooled, va: this.head.audio(pooled) as tf.Tensor2D };
    });
  }

  /** Caption ids [B, L] (0 = padding) -> [AGG] features and S_vt. */
  embedText(ids: tf.Tensor2D): TextEmbeddings {
    return tf.tidy(() => {
      const { pooled } = this.text.apply(ids);
      return { features: pooled, vt: this.head.text(pooled) as tf.Tensor2D };
    });
  }

  /** The four embeddings of a pretraining batch (or a chunk of one): one forward pass of each tower. */
  pretrainEmbeddings(batch: Pick<PretrainBatch, 'videoPatches' | 'videoGrid' | 'audioPatches' | 'textIds'>): PretrainEmbeddings {
    return tf.tidy(() => {
      const v = this.embedVideo(batch.videoPatches, batch.videoGrid);
      const a = this.embedAudio(batch.audioPatches);
      const t = this.embedText(batch.textIds);
      return { videoVa: v.va, audioVa: a.va, videoVt: v.vt, textVt: t.vt };
    });
  }

  /**
   * The pretraining objective on embeddings (docs/numerics.md §6): NCE(video, audio) in S_va + MIL-NCE(video,
   * K narrations) in S_vt, combined as the config's `lossWeighting` says. `k` captions per clip.
   */
  lossOnEmbeddings(e: PretrainEmbeddings, k: number, textMask?: tf.Tensor1D): LossTerms {
    return vattPretrainLossTerms({
      ...e,
      numCandidates: k,
      textMask,
      temperature: this.config.temperature,
      paperWeighting: this.config.lossWeighting === 'paper',
    });
  }

  /**
   * The pretraining loss of a batch: `lossOnEmbeddings(pretrainEmbeddings(batch))`. Call inside
   * `tf.variableGrads` in `train()` mode.
   */
  pretrainLoss(batch: PretrainBatch): LossTerms {
    const k = candidatesPerClip(batch);
    return tf.tidy(() => {
      const t = this.lossOnEmbeddings(this.pretrainEmbeddings(batch), k, batch.textMask);
      return { total: t.total, lossVa: t.lossVa, lossVt: t.lossVt };
    });
  }
}

/** K, the captions per clip of a batch (textIds has B·K rows); checks the batch's shapes agree. */
export function candidatesPerClip(batch: Pick<PretrainBatch, 'videoPatches' | 'audioPatches' | 'textIds'>): number {
  const b = batch.videoPatches.shape[0];
  if (batch.audioPatches.shape[0] !== b) throw new Error(`pretraining batch: audioPatches has batch ${batch.audioPatches.shape[0]}, videoPatches has ${b}`);
  if (batch.textIds.shape[0] % b !== 0) throw new Error(`pretraining batch: textIds has ${batch.textIds.shape[0]} rows, expected B*K with B = ${b}`);
  return batch.textIds.shape[0] / b;
}
