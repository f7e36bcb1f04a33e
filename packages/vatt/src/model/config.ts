/**
 * VATT model and preprocessing configs, and the named presets (vatt-spec.md sections 3, 5).
 * A config is plain JSON: it travels inside every checkpoint so the checkpoint alone rebuilds the model.
 */
import {
  audioConfig,
  BASE,
  LARGE,
  MEDIUM,
  SMALL,
  T5_SMALL,
  TINY,
  TINY_AUDIO_INPUT,
  TINY_TEXT_INPUT,
  TINY_VIDEO_INPUT,
  textConfig,
  videoConfig,
  type AudioBackboneConfig,
  type AudioInputConfig,
  type TextBackboneConfig,
  type TransformerSize,
  type VideoBackboneConfig,
} from '@vatt/transformer';
import { DEFAULT_FAC_HEAD, type FacHeadConfig } from './fac_head.js';

export type HeadConfig = Omit<FacHeadConfig, 'videoDim' | 'audioDim' | 'textDim'>;

export interface VattConfig {
  /** `modality-specific`: three towers (BBS/MBS/LBS); `modality-agnostic`: one shared encoder (VATT-MA, spec 3.3). */
  variant: 'modality-specific' | 'modality-agnostic';
  video: VideoBackboneConfig;
  audio: AudioBackboneConfig;
  text: TextBackboneConfig;
  head: HeadConfig;
  /** Softmax temperature of NCE / MIL-NCE (0.07). */
  temperature: number;
  /** Loss weighting: the code's average of the two terms, or the paper's sum (spec 6.1). */
  lossWeighting: 'code' | 'paper';
}

/** What turns raw media into model inputs; saved with the model. */
export interface PreprocessingConfig {
  video: { frames: number; height: number; width: number; patchSize: [number, number, number]; fps: number };
  audio: { samples: number; patchSize: number; sampleRate: number };
  text: { maxTokens: number; numCandidates: number };
}

export const PRESET_NAMES = ['tiny', 'tiny-ma', 'bbs', 'mbs', 'lbs', 'ma-medium'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface VattPreset {
  model: VattConfig;
  preprocessing: PreprocessingConfig;
}

const tinyText = (): TextBackboneConfig => textConfig(TINY, TINY_TEXT_INPUT, { trainableEmbeddings: true });

function preset(variant: VattConfig['variant'], video: TransformerSize, audio: TransformerSize, text: TextBackboneConfig, head: HeadConfig = DEFAULT_FAC_HEAD): VattConfig {
  return {
    variant,
    video: videoConfig(video),
    audio: audioConfig(audio),
    text,
    head: { ...head },
    temperature: 0.07,
    lossWeighting: 'code',
  };
}

const OFFICIAL_PREPROCESSING: PreprocessingConfig = {
  video: { frames: 32, height: 224, width: 224, patchSize: [4, 16, 16], fps: 10 },
  audio: { samples: 153600, patchSize: 128, sampleRate: 48000 },
  text: { maxTokens: 16, numCandidates: 5 },
};

/** The tiny model's input: 8 frames of 32x32 at 10 fps, 4096 audio samples at 5120 Hz (0.8 s), 8 words. */
const TINY_PREPROCESSING: PreprocessingConfig = {
  video: { frames: TINY_VIDEO_INPUT.frames, height: TINY_VIDEO_INPUT.height, width: TINY_VIDEO_INPUT.width, patchSize: [...TINY_VIDEO_INPUT.patchSize] as [number, number, number], fps: 10 },
  audio: { samples: TINY_AUDIO_INPUT.samples, patchSize: TINY_AUDIO_INPUT.patchSize, sampleRate: 5120 },
  text: { maxTokens: TINY_TEXT_INPUT.maxTokens, numCandidates: 5 },
};

function tinyModel(variant: VattConfig['variant']): VattConfig {
  return {
    variant,
    video: videoConfig(TINY, TINY_VIDEO_INPUT),
    audio: audioConfig(TINY, TINY_AUDIO_INPUT as AudioInputConfig),
    text: tinyText(),
    head: { ...DEFAULT_FAC_HEAD, dVa: 128, dVt: 64 },
    temperature: 0.07,
    lossWeighting: 'code',
  };
}

/**
 * Named presets. `bbs` / `mbs` / `lbs`: ViT Base/Medium/Large, WaT Base, T5-Small (paper section 4.1);
 * `ma-medium`: VATT-MA Medium; `tiny`, `tiny-ma`: ours, for tests, examples and `npm start`.
 */
export function getPreset(name: PresetName): VattPreset {
  switch (name) {
    case 'tiny':
      return { model: tinyModel('modality-specific'), preprocessing: structuredClone(TINY_PREPROCESSING) };
    case 'tiny-ma':
      return { model: tinyModel('modality-agnostic'), preprocessing: structuredClone(TINY_PREPROCESSING) };
    case 'bbs':
      return { model: preset('modality-specific', BASE, BASE, textConfig(T5_SMALL)), preprocessing: structuredClone(OFFICIAL_PREPROCESSING) };
    case 'mbs':
      return { model: preset('modality-specific', MEDIUM, BASE, textConfig(T5_SMALL)), preprocessing: structuredClone(OFFICIAL_PREPROCESSING) };
    case 'lbs':
      return { model: preset('modality-specific', LARGE, BASE, textConfig(T5_SMALL)), preprocessing: structuredClone(OFFICIAL_PREPROCESSING) };
    case 'ma-medium':
      return { model: preset('modality-agnostic', MEDIUM, MEDIUM, textConfig(MEDIUM)), preprocessing: structuredClone(OFFICIAL_PREPROCESSING) };
    default:
      throw new Error(`unknown preset "${name as string}", expected one of ${PRESET_NAMES.join(', ')}`);
  }
}

export { SMALL };
