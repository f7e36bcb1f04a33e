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
  SPECTROGRAM_INPUT,
  T5_SMALL,
  TINY,
  TINY_AUDIO_INPUT,
  TINY_TEXT_INPUT,
  TINY_VIDEO_INPUT,
  textConfig,
  videoConfig,
  type AudioBackboneConfig,
  type AudioInputConfig,
  type SpectrogramInputConfig,
  type TextBackboneConfig,
  type TransformerSize,
  type VideoBackboneConfig,
} from '@vatt/transformer';
import { DEFAULT_FAC_HEAD, type FacHeadConfig } from './fac-head.js';

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
/**
 * The log-mel front end of the spectrogram audio model (SpT, vatt-spec.md §1.2): STFT size and hop
 * in samples at the audio sample rate, mel bins, 2-D patch `[time frames, mel bins]`, and the
 * `LogMelSpectrogram` options (`center`, `power`, `fMin`, `fMax`, `normalize`, `logOffset`).
 */
export interface SpectrogramPreprocessing {
  nFft: number;
  hopLength: number;
  nMels: number;
  patchSize: [number, number];
  center?: boolean;
  power?: number;
  fMin?: number;
  fMax?: number;
  logOffset?: number;
  normalize?: 'none' | 'minmax';
}

export interface PreprocessingConfig {
  video: { frames: number; height: number; width: number; patchSize: [number, number, number]; fps: number };
  /** `patchSize`: waveform samples per patch; with `spectrogram`, waveforms become log-mel patches instead. */
  audio: { samples: number; patchSize: number; sampleRate: number; spectrogram?: SpectrogramPreprocessing };
  text: { maxTokens: number; numCandidates: number };
}

export const PRESET_NAMES = ['tiny', 'tiny-ma', 'tiny-spt', 'bbs', 'bbs-spt', 'mbs', 'lbs', 'ma-medium'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface VattPreset {
  model: VattConfig;
  preprocessing: PreprocessingConfig;
}

const tinyText = (): TextBackboneConfig => textConfig(TINY, TINY_TEXT_INPUT, { trainableEmbeddings: true });

function preset(
  variant: VattConfig['variant'],
  video: TransformerSize,
  audio: TransformerSize,
  text: TextBackboneConfig,
  head: HeadConfig = DEFAULT_FAC_HEAD,
  audioInput?: SpectrogramInputConfig,
): VattConfig {
  return {
    variant,
    video: videoConfig(video),
    audio: audioInput ? audioConfig(audio, audioInput) : audioConfig(audio),
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
  video: {
    frames: TINY_VIDEO_INPUT.frames,
    height: TINY_VIDEO_INPUT.height,
    width: TINY_VIDEO_INPUT.width,
    patchSize: [...TINY_VIDEO_INPUT.patchSize] as [number, number, number],
    fps: 10,
  },
  audio: { samples: TINY_AUDIO_INPUT.samples, patchSize: TINY_AUDIO_INPUT.patchSize, sampleRate: 5120 },
  text: { maxTokens: TINY_TEXT_INPUT.maxTokens, numCandidates: 5 },
};

/**
 * SpT as the official code computes it (48 kHz, 2048-sample STFT, hop 1024, 80 mel bins from 80 to
 * 7600 Hz, magnitude, no centering, min-max to [0, 1]): 153,600 samples give 149 frames, of which
 * 144 = 9 patches of 16 are used, x 16 patches of 5 mel bins = the 9 x 16 positional table.
 */
const OFFICIAL_SPECTROGRAM: SpectrogramPreprocessing = {
  nFft: 2048,
  hopLength: 1024,
  nMels: 80,
  patchSize: [16, 5],
  center: false,
  power: 1,
  fMin: 80,
  fMax: 7600,
  normalize: 'minmax',
};
/** Tiny SpT: 4096 samples at 5120 Hz, 256-sample STFT, hop 64, 40 mel bins -> 61 frames, 48 used: 3 x 8 patches of 16 x 5. */
const TINY_SPECTROGRAM: SpectrogramPreprocessing = {
  nFft: 256,
  hopLength: 64,
  nMels: 40,
  patchSize: [16, 5],
  center: false,
  power: 1,
  fMin: 40,
  fMax: 2560,
  normalize: 'minmax',
};

function tinyModel(variant: VattConfig['variant'], spectrogram = false): VattConfig {
  return {
    variant,
    video: videoConfig(TINY, TINY_VIDEO_INPUT),
    audio: spectrogram ? audioConfig(TINY, { patchSize: [16, 5], buckets: [3, 8] }) : audioConfig(TINY, TINY_AUDIO_INPUT as AudioInputConfig),
    text: tinyText(),
    head: { ...DEFAULT_FAC_HEAD, dVa: 128, dVt: 64 },
    temperature: 0.07,
    lossWeighting: 'code',
  };
}

/**
 * Named presets. `bbs` / `mbs` / `lbs`: ViT Base/Medium/Large, WaT Base, T5-Small (paper section 4.1);
 * `ma-medium`: VATT-MA Medium; `bbs-spt`: `bbs` with the spectrogram audio model (SpT-Base, the paper's
 * ablation); `tiny`, `tiny-ma`, `tiny-spt`: ours, for tests, examples and `npm start`.
 */
export function getPreset(name: PresetName): VattPreset {
  switch (name) {
    case 'tiny':
      return { model: tinyModel('modality-specific'), preprocessing: structuredClone(TINY_PREPROCESSING) };
    case 'tiny-ma':
      return { model: tinyModel('modality-agnostic'), preprocessing: structuredClone(TINY_PREPROCESSING) };
    case 'tiny-spt':
      return {
        model: tinyModel('modality-specific', true),
        preprocessing: { ...structuredClone(TINY_PREPROCESSING), audio: { ...TINY_PREPROCESSING.audio, spectrogram: structuredClone(TINY_SPECTROGRAM) } },
      };
    case 'bbs':
      return { model: preset('modality-specific', BASE, BASE, textConfig(T5_SMALL)), preprocessing: structuredClone(OFFICIAL_PREPROCESSING) };
    case 'bbs-spt':
      return {
        model: preset('modality-specific', BASE, BASE, textConfig(T5_SMALL), DEFAULT_FAC_HEAD, SPECTROGRAM_INPUT),
        preprocessing: {
          ...structuredClone(OFFICIAL_PREPROCESSING),
          audio: { ...OFFICIAL_PREPROCESSING.audio, spectrogram: structuredClone(OFFICIAL_SPECTROGRAM) },
        },
      };
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
